import { AckPolicy, DeliverPolicy, type ConsumerMessages, type JsMsg } from 'nats';
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { toErrorBody } from '../../shared/errors.js';
import { validateId, validateKind } from '../../shared/ids.js';
import { createLogger, type Logger } from '../../shared/logger.js';
import { STREAM_EDGE, edgeSubject } from '../../transport/subjects.js';
import type { ChannelValue } from '../driver.js';
import { confirmation, dedupeKey, expiryOf, otaReport, parseActuation, type Actuation, type OtaAttempt, type PowerActuation, type SetActuation } from './actuation.js';
import type { EdgeConnection } from './connection.js';
import type { DiskBuffer } from './diskBuffer.js';
import { ConnectAbortedError } from './errors.js';

export interface ActuationOptions {
  connection: EdgeConnection;
  /** Confirmations go through the same buffer and forwarder as readings: never lost either. */
  buffer: DiskBuffer;
  /** This board, as its actuations are addressed: `ep.edge.<kind>.<id>.>`. */
  board: { kind: string; id: string };
  /** Applies a value or a plug switch; resolves with what the hardware reads back (a plug: on or off). */
  apply: (actuation: SetActuation | PowerActuation) => Promise<ChannelValue>;
  /** Runs a firmware update attempt (resolve: done, reject: failed); without it OTA attempts are refused. */
  ota?: (attempt: OtaAttempt, progress: (percent: number) => Promise<void>) => Promise<void>;
  logger?: Logger;
  /** The board's clock (tests). */
  now?: () => number;
  /** Aborts waiting for the EP_EDGE stream (the control plane not there yet) at start. */
  signal?: AbortSignal;
}

export interface ActuationStats {
  received: number;
  applied: number;
  /** Refused because their expiry had passed when they arrived: nothing applied. */
  expired: number;
  /** Malformed, or for an action this board does not do: never redelivered. */
  refused: number;
  /** The hardware write failed: redelivered until it expires. */
  failed: number;
  /** Delivered again after being applied (a lost ack): not applied twice. */
  duplicates: number;
}

export interface Actuations {
  stats(): ActuationStats;
  stop(): Promise<void>;
}

const NANOS = 1_000_000;
const RETRY_FAILED_MS = 1000;
const REMEMBERED = 1000;

/** Consumer names may not hold `.`, `*`, `>`; ids may hold `:` and `@`, so those get a hash to stay unique. */
function consumerName(kind: string, id: string): string {
  const plain = `edge-${kind}-${id}`;
  return /^[A-Za-z0-9_-]+$/.test(id) ? plain : `edge-${kind}-${id.replace(/[^A-Za-z0-9_-]/g, '_')}-${createHash('sha1').update(id).digest('hex').slice(0, 8)}`;
}

/**
 * A durable JetStream consumer on EP_EDGE, not a plain subscription: an actuation published while
 * the board was offline waits in the stream (kept an hour) and is delivered when it is back,
 * where its `expiresAt` decides: past it, it is refused (acknowledged, counted, nothing applied),
 * so a stale "light on" never happens late. Actuations are handled one at a time in stream order,
 * so a newer value for a device is applied after an older one. The message is acknowledged only
 * once the confirmation is durable in the buffer; a crash in between re-applies it (idempotent).
 */
export async function startActuations(opts: ActuationOptions): Promise<Actuations> {
  const kind = validateKind(opts.board.kind);
  const id = validateId(opts.board.id, 'board id');
  const logger = (opts.logger ?? createLogger()).child({ component: 'edge-actuations', board: `${kind}/${id}` });
  const now = opts.now ?? Date.now;
  const { nc } = opts.connection;
  const durable = consumerName(kind, id);
  // The board's filter: its `set` subject with the action replaced by `>` (subjects are built in one module).
  const filter = edgeSubject(kind, id, 'set').replace(/\.set$/, '.>');
  const stats: ActuationStats = { received: 0, applied: 0, expired: 0, refused: 0, failed: 0, duplicates: 0 };
  const done = new Set<string>();
  let stopped = false;

  // The control plane creates EP_EDGE; a board that starts first waits for it.
  async function subscribe(): Promise<ConsumerMessages> {
    for (let attempt = 0; ; attempt++) {
      if (opts.signal?.aborted) throw new ConnectAbortedError(`${STREAM_EDGE} consumer ${durable}`);
      try {
        const jsm = await nc.jetstreamManager();
        await jsm.consumers.add(STREAM_EDGE, {
          durable_name: durable,
          filter_subject: filter,
          ack_policy: AckPolicy.Explicit,
          deliver_policy: DeliverPolicy.All,
          ack_wait: 30_000 * NANOS,
          max_ack_pending: 64,
        });
        return await (await nc.jetstream().consumers.get(STREAM_EDGE, durable)).consume({ max_messages: 16 });
      } catch (err) {
        if (attempt === 0) logger.warn({ err }, 'actuation consumer not ready; retrying every second');
        await sleep(1000, undefined, { signal: opts.signal }).catch(() => undefined);
      }
    }
  }
  const iterator = await subscribe();

  const remember = (key: string) => {
    done.add(key);
    if (done.size > REMEMBERED) done.delete(done.values().next().value as string);
  };

  async function handle(m: JsMsg): Promise<void> {
    stats.received++;
    let a: Actuation;
    try {
      a = parseActuation(m.subject.slice(m.subject.lastIndexOf('.') + 1), m.json());
    } catch (err) {
      stats.refused++;
      logger.warn({ err, subject: m.subject }, 'malformed actuation refused');
      m.term();
      return;
    }
    const expiry = expiryOf(a);
    if (Date.parse(expiry) <= now()) {
      stats.expired++;
      logger.info({ actuation: a, expiredAt: expiry }, 'expired actuation refused: nothing applied');
      m.ack();
      return;
    }
    const key = dedupeKey(a);
    if (done.has(key)) {
      stats.duplicates++;
      m.ack();
      return;
    }
    if (a.action === 'ota') return startOta(m, a, key);
    let readBack: ChannelValue;
    try {
      readBack = await opts.apply(a);
    } catch (err) {
      stats.failed++;
      logger.warn({ err, actuation: a }, 'actuation failed; it is redelivered until it expires');
      m.nak(RETRY_FAILED_MS);
      return;
    }
    try {
      await opts.buffer.append(confirmation(a, readBack, new Date(now()).toISOString()));
    } catch (err) {
      stats.failed++;
      logger.error({ err, actuation: a }, 'confirmation not buffered; the actuation is redelivered');
      m.nak(RETRY_FAILED_MS);
      return;
    }
    remember(key);
    stats.applied++;
    m.ack();
  }

  /** An update takes minutes: acknowledged at once, run aside, its reports buffered like readings. */
  function startOta(m: JsMsg, a: OtaAttempt, key: string): void {
    const ota = opts.ota;
    if (!ota) {
      stats.refused++;
      logger.warn({ actuation: a }, 'OTA attempt refused: this board does not update firmware');
      m.term();
      return;
    }
    remember(key);
    stats.applied++;
    m.ack();
    const report = (outcome: Parameters<typeof otaReport>[1]) => opts.buffer.append(otaReport(a, outcome, new Date(now()).toISOString())).then(() => undefined);
    void ota(a, (percent) => report({ percent }))
      .then(
        () => report({ done: true }),
        (err: unknown) => report({ error: toErrorBody(err).message }),
      )
      .catch((err: unknown) => logger.error({ err, attempt: a }, 'OTA outcome not buffered'));
  }

  const loop = (async () => {
    for await (const m of iterator) {
      try {
        await handle(m);
      } catch (err) {
        logger.error({ err, subject: m.subject }, 'actuation handling failed');
      }
      if (stopped) break;
    }
  })();

  return {
    stats: () => ({ ...stats }),
    async stop() {
      if (stopped) return;
      stopped = true;
      // nats 2.29 with server 2.9: stop() ends the iterator (close() can hang).
      iterator.stop();
      await loop;
    },
  };
}
