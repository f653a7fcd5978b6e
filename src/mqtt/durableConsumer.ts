import type { ConsumerMessages, JsMsg, NatsConnection } from 'nats';
import type { Logger } from '../shared/logger.js';

export interface RunningConsumer {
  readonly inFlight: number;
  /** Stops taking messages, then waits for every message already taken to be settled. */
  stop(): Promise<void>;
}

const RETRY_MS = 1000;

/**
 * Reads a durable consumer and hands each message to `handle` without waiting for the previous
 * one to finish (handlers publish pipelined, in arrival order, and acknowledge when their own
 * PubAck comes back). Unacknowledged messages are bounded by the consumer's `max_ack_pending`.
 * If the subscription ends on its own (the consumer was deleted, the server lost it), it is
 * made again (`ensure`) and read again after a second, until stopped.
 */
export async function runDurable(opts: {
  nc: NatsConnection;
  stream: string;
  durable: string;
  maxMessages: number;
  handle: (m: JsMsg) => Promise<void>;
  ensure?: () => Promise<void>;
  logger: Logger;
}): Promise<RunningConsumer> {
  const inFlight = new Set<Promise<void>>();
  let stopped = false;
  let messages: ConsumerMessages | undefined;
  const open = async () => {
    const consumer = await opts.nc.jetstream().consumers.get(opts.stream, opts.durable);
    // Without abort_on_missing_resource nats.js waits for a deleted consumer to come back by itself.
    return consumer.consume({ max_messages: opts.maxMessages, threshold_messages: Math.max(1, Math.floor(opts.maxMessages / 4)), abort_on_missing_resource: true });
  };
  const read = async (from: ConsumerMessages) => {
    for await (const m of from) {
      const p = opts.handle(m).catch((err: unknown) => opts.logger.error({ err, subject: m.subject }, 'MQTT bridge: handling a message failed'));
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
    }
  };
  messages = await open();
  const loop = (async () => {
    while (!stopped) {
      try {
        await read(messages!);
      } catch (err) {
        if (!stopped) opts.logger.warn({ err, stream: opts.stream, durable: opts.durable }, 'MQTT bridge: consumer failed; reading it again');
      }
      if (stopped) return;
      await new Promise((r) => setTimeout(r, RETRY_MS));
      try {
        await opts.ensure?.();
        if (!stopped) messages = await open();
      } catch (err) {
        opts.logger.warn({ err, stream: opts.stream, durable: opts.durable }, 'MQTT bridge: consumer not available yet');
      }
    }
  })();
  let stopping: Promise<void> | undefined;
  return {
    get inFlight() {
      return inFlight.size;
    },
    stop() {
      stopping ??= (async () => {
        stopped = true;
        // With nats 2.29 against server 2.9, stop() ends the iterator (close() can hang).
        messages?.stop();
        await loop;
        await Promise.allSettled([...inFlight]);
      })();
      return stopping;
    },
  };
}
