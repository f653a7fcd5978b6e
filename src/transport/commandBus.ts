import { createInbox, headers as natsHeaders, type NatsConnection, type Subscription } from 'nats';
import { CommandTimeoutError } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import { NumberedQueue } from '../shared/numberedQueue.js';
import { createJetStreamPublisher, type PubAck } from './jetstreamPublisher.js';
import { HEADER, commandSubject } from './subjects.js';
import type { Fence } from '../eventstore/eventStore.js';

/** What a sender puts on the wire; `id` defaults to a fresh UUID. */
export interface OutgoingCommand {
  id?: string;
  type: string;
  data?: Record<string, unknown>;
  expectedRevision?: number;
  correlationId?: string;
  causationId?: string;
  /** Fencing tokens the append must carry (singleton work sends its leader token). */
  fences?: Fence[];
}

export interface SendOptions {
  timeoutMs?: number;
}

export interface CommandBus {
  /** Stores the command in JetStream and waits for the actor's answer. */
  send<R = unknown>(kind: string, id: string, command: OutgoingCommand, opts?: SendOptions): Promise<R>;
  /** The same for several commands to one actor, decided in order and stored in one append. */
  sendBatch<R = unknown>(kind: string, id: string, commands: OutgoingCommand[], opts?: SendOptions): Promise<R>;
  /** Stores the command (or batch) in JetStream without waiting for an answer; resolves on the PubAck. */
  publish(kind: string, id: string, command: OutgoingCommand | OutgoingCommand[]): Promise<PubAck>;
  close(): void;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function withId(c: OutgoingCommand): OutgoingCommand & { id: string } {
  return { ...c, id: c.id ?? newId(), data: c.data ?? {} };
}

/**
 * The sending side of the actor host. Commands go through JetStream (so one sent while the
 * control plane restarts is kept), with an `Ep-Reply` header naming the inbox where the host
 * answers. `publish` also sets `Nats-Msg-Id` so a re-publish after a lost PubAck is dropped.
 */
export function createCommandBus(nc: NatsConnection, opts: { publishTimeoutMs?: number; partitions?: number } = {}): CommandBus {
  const subjectOf = (kind: string, id: string) => commandSubject(kind, id, opts.partitions);
  const publisher = createJetStreamPublisher(nc, { timeoutMs: opts.publishTimeoutMs ?? 5000 });
  const prefix = createInbox();
  // Answers arrive on `<prefix>.<n>`, n numbering the requests.
  const waiting = new NumberedQueue<(body: unknown) => void>();
  const sub: Subscription = nc.subscribe(`${prefix}.*`, {
    callback: (err, msg) => {
      if (err) return;
      const resolve = waiting.take(Number(msg.subject.slice(prefix.length + 1)));
      resolve?.(JSON.parse(decoder.decode(msg.data)));
    },
  });

  async function request<R>(kind: string, id: string, body: unknown, timeoutMs: number): Promise<R> {
    const subject = subjectOf(kind, id);
    let n = -1;
    let timer: NodeJS.Timeout | undefined;
    const answer = new Promise<R>((resolve, reject) => {
      n = waiting.add(resolve as (b: unknown) => void);
      timer = setTimeout(() => {
        waiting.take(n);
        reject(new CommandTimeoutError(subject, timeoutMs));
      }, timeoutMs);
    });
    const h = natsHeaders();
    h.set(HEADER.reply, `${prefix}.${n}`);
    // The timer may fire while the publish is still waiting for its PubAck: mark the rejection
    // as handled here; whoever awaits `answer` below still receives it.
    answer.catch(() => undefined);
    try {
      await publisher.publish(subject, encoder.encode(JSON.stringify(body)), h);
      return await answer;
    } catch (e) {
      waiting.take(n);
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    send(kind, id, command, o = {}) {
      return request(kind, id, withId(command), o.timeoutMs ?? 10_000);
    },
    sendBatch(kind, id, commands, o = {}) {
      return request(kind, id, commands.map(withId), o.timeoutMs ?? 30_000);
    },
    publish(kind, id, command) {
      const body = Array.isArray(command) ? command.map(withId) : withId(command);
      const h = natsHeaders();
      h.set(HEADER.msgId, Array.isArray(body) ? `batch:${body[0]?.id}:${body.length}` : body.id);
      return publisher.publish(subjectOf(kind, id), encoder.encode(JSON.stringify(body)), h);
    },
    close() {
      sub.unsubscribe();
      publisher.close();
      waiting.drain();
    },
  };
}
