import { headers as natsHeaders } from 'nats';
import { ConfigError, EdgeplaneError } from '../../shared/errors.js';
import { ForwarderClosedError, NotDrainedError } from './errors.js';
import { createLogger, type Logger } from '../../shared/logger.js';
import { createJetStreamPublisher, type PubAck } from '../../transport/jetstreamPublisher.js';
import { HEADER, commandSubject } from '../../transport/subjects.js';
import { RECONNECT_BACKOFF_MS } from './backoff.js';
import type { EdgeConnection } from './connection.js';
import { DeliveryWindow, batchLength } from './deliveryWindow.js';
import type { BufferedRecord, DiskBuffer } from './diskBuffer.js';

export interface ForwarderOptions {
  buffer: DiskBuffer;
  connection: EdgeConnection;
  logger?: Logger;
  /** Commands per message, at most (the control plane takes up to 1,000). Default 100. */
  maxBatch?: number;
  /** Bytes per message, at most (the control plane refuses more than 256 KiB). Default 128 KiB. */
  maxBatchBytes?: number;
  /** Messages awaiting their PubAck, across actors (one per actor at most). Default 64. */
  maxInFlight?: number;
  /** Records read from disk and held in memory ahead of delivery. Default 10,000. */
  readAhead?: number;
  /** A publish without a PubAck after this long is sent again. Default 5 s. */
  publishTimeoutMs?: number;
  /** Delays before re-sending an actor's failed batch (by consecutive failures). Default the reconnect backoff. */
  retryBackoffMs?: readonly number[];
  /** The subject of an actor's commands; default `commandSubject(kind, id)` (give the partition count here when the control plane uses another). */
  subjectFor?: (kind: string, id: string) => string;
  /** Called after JetStream stored a batch (benchmarks, metrics). */
  onDelivered?: (records: readonly BufferedRecord[], ack: PubAck) => void;
}

export interface ForwarderStats {
  connected: boolean;
  /** On disk, not yet delivered. */
  buffered: number;
  /** Records JetStream acknowledged since this forwarder started. */
  delivered: number;
  /** Of those, records in messages JetStream reported as duplicates (a re-send after a lost PubAck). */
  duplicates: number;
  /** Dropped by the buffer when full, ever (persisted). */
  dropped: number;
  /** Messages awaiting their PubAck. */
  inFlight: number;
  lastError: { code: string; message: string; at: string } | null;
  lastDeliveredAt: string | null;
}

export interface Forwarder {
  stats(): ForwarderStats;
  /** Resolves once nothing is left undelivered on disk (rejects after `timeoutMs`, if given). */
  drained(timeoutMs?: number): Promise<void>;
  /** Stops sending; waits briefly for PubAcks in flight. Closes neither the buffer nor the connection. */
  close(): Promise<void>;
}

interface Batch {
  records: BufferedRecord[];
  msgId: string;
  body: Uint8Array;
}

/** One actor's records, in seq order, with at most one message in flight: per-device order across failures. */
interface Lane {
  subject: string;
  queue: BufferedRecord[];
  head: number;
  inFlight?: Batch;
  /** A batch to send again as it was (same Nats-Msg-Id, same commands): a late copy can only be a duplicate. */
  retry?: Batch;
  failures: number;
  timer?: NodeJS.Timeout;
}

const READ_CHUNK = 2000;
const encoder = new TextEncoder();

export function createForwarder(opts: ForwarderOptions): Forwarder {
  const { buffer, connection } = opts;
  const maxBatch = opts.maxBatch ?? 100;
  const maxBatchBytes = opts.maxBatchBytes ?? 128 * 1024;
  const maxInFlight = opts.maxInFlight ?? 64;
  const readAhead = opts.readAhead ?? 10_000;
  const retrySteps = opts.retryBackoffMs ?? RECONNECT_BACKOFF_MS;
  if (!(maxBatch >= 1 && maxBatch <= 1000)) throw new ConfigError('forwarder maxBatch must be 1…1000', { maxBatch });
  if (!(maxBatchBytes >= 1024 && maxBatchBytes <= 256 * 1024)) throw new ConfigError('forwarder maxBatchBytes must be 1 KiB…256 KiB', { maxBatchBytes });
  if (!(maxInFlight >= 1) || !(readAhead >= maxBatch)) throw new ConfigError('forwarder maxInFlight must be ≥ 1 and readAhead ≥ maxBatch', { maxInFlight, readAhead });
  const logger = (opts.logger ?? createLogger()).child({ component: 'edge-forwarder' });
  const publisher = createJetStreamPublisher(connection.nc, { timeoutMs: opts.publishTimeoutMs ?? 5000 });
  const epoch = buffer.epoch;
  const subjectFor = opts.subjectFor ?? ((kind: string, id: string) => commandSubject(kind, id));

  const window = new DeliveryWindow(buffer.stats().deliveredSeq);
  let nextReadSeq = window.deliveredSeq + 1;
  const lanes = new Map<string, Lane>();
  const ready = new Set<Lane>();
  const settling = new Set<Promise<unknown>>();
  let inFlight = 0;
  let reading = false;
  let closed = false;
  let failing = false;
  let delivered = 0;
  let duplicates = 0;
  let lastError: ForwarderStats['lastError'] = null;
  let lastDeliveredAt: string | null = null;
  let readRetry: NodeJS.Timeout | undefined;
  let waiters: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];

  const laneOf = (r: BufferedRecord): Lane => {
    const key = `${r.kind}/${r.id}`;
    let lane = lanes.get(key);
    if (!lane) {
      lane = { subject: subjectFor(r.kind, r.id), queue: [], head: 0, failures: 0 };
      lanes.set(key, lane);
    }
    return lane;
  };

  /** The buffer dropped records (full): what is still queued of them is forgotten with them. */
  function purge(floor: number): void {
    window.skipTo(floor);
    nextReadSeq = Math.max(nextReadSeq, floor + 1);
    for (const lane of lanes.values()) while (lane.head < lane.queue.length && lane.queue[lane.head]!.seq <= floor) lane.head++;
  }

  async function refill(): Promise<void> {
    reading = true;
    let got = 0;
    try {
      const floor = buffer.stats().deliveredSeq;
      if (floor > window.deliveredSeq) purge(floor);
      const want = Math.min(READ_CHUNK, readAhead - (nextReadSeq - 1 - window.deliveredSeq));
      const records = await buffer.readFrom(nextReadSeq, want);
      if (closed || records.length === 0) return;
      if (records[0]!.seq > nextReadSeq) purge(records[0]!.seq - 1);
      for (const r of records) {
        const lane = laneOf(r);
        lane.queue.push(r);
        if (!lane.inFlight && !lane.timer) ready.add(lane);
      }
      nextReadSeq = records.at(-1)!.seq + 1;
      got = records.length;
    } catch (err) {
      noteError(err);
      logger.error({ err }, 'reading the buffer failed; retrying in 1 s');
      readRetry = setTimeout(() => {
        readRetry = undefined;
        pump();
      }, 1000);
    } finally {
      reading = false;
    }
    if (got > 0) pump();
  }

  function pump(): void {
    if (closed) return;
    if (!reading && !readRetry && nextReadSeq - 1 - window.deliveredSeq < readAhead && nextReadSeq <= buffer.stats().durableSeq) void refill();
    if (!connection.connected) return;
    for (const lane of ready) {
      if (inFlight >= maxInFlight) break;
      ready.delete(lane);
      send(lane);
    }
  }

  function nextBatch(lane: Lane): Batch | undefined {
    const n = batchLength(lane.queue, lane.head, { maxBatch, maxBatchBytes });
    if (n === 0) return undefined;
    const records = lane.queue.slice(lane.head, lane.head + n);
    lane.head += n;
    if (lane.head > 1024 && lane.head * 2 > lane.queue.length) {
      lane.queue = lane.queue.slice(lane.head);
      lane.head = 0;
    }
    const body = encoder.encode(JSON.stringify(records.map((r) => ({ id: r.commandId, type: r.type, data: r.data }))));
    return { records, msgId: `${epoch}-${records[0]!.seq}-${records.at(-1)!.seq}`, body };
  }

  function send(lane: Lane): void {
    const batch = lane.retry ?? nextBatch(lane);
    if (!batch) return;
    lane.retry = undefined;
    lane.inFlight = batch;
    inFlight++;
    const h = natsHeaders();
    h.set(HEADER.msgId, batch.msgId);
    const p = publisher.publish(lane.subject, batch.body, h).then(
      (ack) => onAck(lane, batch, ack),
      (err: unknown) => onFail(lane, batch, err),
    );
    settling.add(p);
    void p.finally(() => settling.delete(p));
  }

  function onAck(lane: Lane, batch: Batch, ack: PubAck): void {
    if (lane.inFlight === batch) {
      lane.inFlight = undefined;
      inFlight--;
    } else if (lane.retry === batch) {
      // The copy abandoned at a disconnect was stored after all.
      lane.retry = undefined;
      clearTimeout(lane.timer);
      lane.timer = undefined;
    } else {
      return;
    }
    lane.failures = 0;
    delivered += batch.records.length;
    if (ack.duplicate) duplicates += batch.records.length;
    lastDeliveredAt = new Date().toISOString();
    if (failing) {
      failing = false;
      logger.info({ buffered: buffer.stats().pending }, 'delivering again');
    }
    const moved = window.ack(batch.records);
    if (moved !== undefined) buffer.ack(moved);
    if (lane.head < lane.queue.length) ready.add(lane);
    opts.onDelivered?.(batch.records, ack);
    wakeWaiters();
    pump();
  }

  function onFail(lane: Lane, batch: Batch, err: unknown): void {
    if (lane.inFlight !== batch) return;
    lane.inFlight = undefined;
    inFlight--;
    lane.retry = batch;
    lane.failures++;
    noteError(err);
    if (!failing && !closed) {
      failing = true;
      logger.warn({ err, subject: lane.subject, buffered: buffer.stats().pending }, 'publish failed: readings stay on disk and are sent again');
    }
    if (closed) return;
    lane.timer = setTimeout(() => {
      lane.timer = undefined;
      ready.add(lane);
      pump();
    }, retrySteps[Math.min(lane.failures - 1, retrySteps.length - 1)]);
    pump();
  }

  function noteError(err: unknown): void {
    const code = err instanceof EdgeplaneError ? err.code : ((err as { code?: string })?.code ?? 'ERR_INTERNAL');
    lastError = { code: String(code), message: err instanceof Error ? err.message : String(err), at: new Date().toISOString() };
  }

  /**
   * Disconnected: what is in flight is sent again, unchanged, once connected, instead of waiting
   * for each publish to time out. A copy stored before the disconnect is dropped upstream.
   */
  function abandonInFlight(): void {
    for (const lane of lanes.values()) {
      if (!lane.inFlight) continue;
      lane.retry = lane.inFlight;
      lane.inFlight = undefined;
      inFlight--;
      ready.add(lane);
    }
  }

  function wakeWaiters(): void {
    if (waiters.length === 0 || buffer.stats().pending > 0 || buffer.stats().writing > 0) return;
    const w = waiters;
    waiters = [];
    for (const waiter of w) waiter.resolve();
  }

  const offBuffer = buffer.onChange(() => {
    pump();
    wakeWaiters();
  });
  const offConnection = connection.onStatus((up) => {
    if (up) pump();
    else abandonInFlight();
  });
  pump();

  return {
    stats() {
      const b = buffer.stats();
      return { connected: connection.connected, buffered: b.pending + b.writing, delivered, duplicates, dropped: b.dropped, inFlight, lastError, lastDeliveredAt };
    },

    drained(timeoutMs) {
      if (closed) return Promise.reject(new ForwarderClosedError());
      return new Promise<void>((resolve, reject) => {
        let timer: NodeJS.Timeout | undefined;
        const waiter = {
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
          reject: (e: Error) => {
            clearTimeout(timer);
            reject(e);
          },
        };
        waiters.push(waiter);
        if (timeoutMs !== undefined) {
          timer = setTimeout(() => {
            waiters = waiters.filter((w) => w !== waiter);
            reject(new NotDrainedError(buffer.stats().pending, timeoutMs));
          }, timeoutMs);
        }
        wakeWaiters();
      });
    },

    async close() {
      if (closed) return;
      closed = true;
      for (const w of waiters.splice(0)) w.reject(new ForwarderClosedError());
      offBuffer();
      offConnection();
      clearTimeout(readRetry);
      for (const lane of lanes.values()) clearTimeout(lane.timer);
      // PubAcks already on their way still move the cursor; beyond that, the next run re-sends.
      if (settling.size > 0) await Promise.race([Promise.allSettled([...settling]), new Promise((r) => setTimeout(r, 1000))]);
      publisher.close();
    },
  };
}
