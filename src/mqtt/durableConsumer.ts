import type { JsMsg, NatsConnection } from 'nats';
import type { Logger } from '../shared/logger.js';

export interface RunningConsumer {
  readonly inFlight: number;
  /** Stops taking messages, then waits for every message already taken to be settled. */
  stop(): Promise<void>;
}

/**
 * Reads a durable consumer and hands each message to `handle` without waiting for the previous
 * one to finish (handlers publish pipelined, in arrival order, and acknowledge when their own
 * PubAck comes back). Unacknowledged messages are bounded by the consumer's `max_ack_pending`.
 */
export async function runDurable(opts: {
  nc: NatsConnection;
  stream: string;
  durable: string;
  maxMessages: number;
  handle: (m: JsMsg) => Promise<void>;
  logger: Logger;
}): Promise<RunningConsumer> {
  const consumer = await opts.nc.jetstream().consumers.get(opts.stream, opts.durable);
  const messages = await consumer.consume({ max_messages: opts.maxMessages, threshold_messages: Math.max(1, Math.floor(opts.maxMessages / 4)) });
  const inFlight = new Set<Promise<void>>();
  const loop = (async () => {
    for await (const m of messages) {
      const p = opts.handle(m).catch((err: unknown) => opts.logger.error({ err, subject: m.subject }, 'MQTT bridge: handling a message failed'));
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
    }
  })();
  let stopping: Promise<void> | undefined;
  return {
    get inFlight() {
      return inFlight.size;
    },
    stop() {
      stopping ??= (async () => {
        // With nats 2.29 against server 2.9, stop() ends the iterator (close() can hang).
        messages.stop();
        await loop;
        await Promise.allSettled([...inFlight]);
      })();
      return stopping;
    },
  };
}
