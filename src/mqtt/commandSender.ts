import { createInbox, headers as natsHeaders, type NatsConnection, type Subscription } from 'nats';
import { createJetStreamPublisher, type PubAck } from '../transport/jetstreamPublisher.js';
import { HEADER, commandSubject } from '../transport/subjects.js';
import type { RoutedCommand } from './inbound.js';

export interface CommandSender {
  /** Stores the command in EP_CMD; resolves on its PubAck. `Nats-Msg-Id` is the command id, so a re-send is dropped. */
  send(command: RoutedCommand & { commandId: string }): Promise<PubAck>;
  close(): void;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const OK = encoder.encode('{"ok":true');

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  if (bytes.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}

/**
 * Publishes the bridge's commands on the wire format every sender uses (`{id, type, data}` on
 * `ep.cmd.…`), pipelined, with an `Ep-Reply` inbox where the actors' answers are only counted:
 * the bridge never waits for a decision, only for the command to be stored.
 */
export function createCommandSender(nc: NatsConnection, opts: { partitions?: number; timeoutMs?: number; onRejected: (code: string) => void }): CommandSender {
  const publisher = createJetStreamPublisher(nc, { timeoutMs: opts.timeoutMs ?? 10_000 });
  const answers = createInbox();
  const sub: Subscription = nc.subscribe(answers, {
    callback: (err, msg) => {
      // Most answers are `{"ok":true…`: counted without parsing them.
      if (err || startsWith(msg.data, OK)) return;
      try {
        const body = JSON.parse(decoder.decode(msg.data)) as { ok?: boolean; error?: { code?: string } };
        if (body.ok === false) opts.onRejected(body.error?.code ?? 'ERR_UNKNOWN');
      } catch {
        opts.onRejected('ERR_UNREADABLE_ANSWER');
      }
    },
  });
  return {
    send(c) {
      const h = natsHeaders();
      h.set(HEADER.msgId, c.commandId);
      h.set(HEADER.reply, answers);
      const body = encoder.encode(JSON.stringify({ id: c.commandId, type: c.type, data: c.data }));
      return publisher.publish(commandSubject(c.kind, c.id, opts.partitions), body, h);
    },
    close() {
      sub.unsubscribe();
      publisher.close();
    },
  };
}
