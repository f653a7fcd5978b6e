import { mkdir, open, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '../../shared/errors.js';
import { validateId, validateKind } from '../../shared/ids.js';
import { createLogger, type Logger } from '../../shared/logger.js';
import { validateTypeName } from '../../transport/subjects.js';
import { CURSOR_FILE, recoverBuffer, type SegmentState } from './bufferRecovery.js';
import { BufferClosedError, BufferCorruptError, BufferWriteFailedError, RecordTooLargeError } from './errors.js';
import { acquireLock, fsyncDir, writeFileAtomic } from './files.js';
import { encodeRecord } from './record.js';
import { readSegment, segmentName } from './segments.js';

/** A command for one actor, as the edge sends it: a reading, a report, a confirmation. */
export interface EdgeCommand {
  kind: string;
  id: string;
  type: string;
  data: Record<string, unknown>;
}

export interface BufferedRecord extends EdgeCommand {
  seq: number;
  /** `<epoch>-<seq>`: unique forever, so a re-sent record is recognised upstream. */
  commandId: string;
  /** Payload size on disk (the forwarder's batch-size estimate). */
  bytes: number;
}

export interface DiskBufferOptions {
  /** Disk the buffer may use; when full, the oldest undelivered records are dropped (counted). Default 64 MiB. */
  maxBytes?: number;
  /** Size at which the active segment file is closed and a new one started. Default min(4 MiB, maxBytes / 8). */
  segmentBytes?: number;
  /** Largest record payload accepted. Default 64 KiB. */
  maxRecordBytes?: number;
  /** How soon a moved delivery cursor is written (a crash re-sends at most this much; upstream drops the repeats). Default 200 ms. */
  cursorFlushMs?: number;
  logger?: Logger;
}

export interface BufferStats {
  epoch: string;
  /** Durable records not yet delivered. */
  pending: number;
  /** Appends waiting for their write and fsync. */
  writing: number;
  bytes: number;
  segments: number;
  durableSeq: number;
  deliveredSeq: number;
  /** Records dropped undelivered because the buffer was full (or lost to corruption), ever. */
  dropped: number;
}

export type BufferChange = 'append' | 'drop';

export interface DiskBuffer {
  readonly dir: string;
  readonly epoch: string;
  /** Resolves once the command is on disk and fsynced (appends are grouped into one fsync). */
  append(command: EdgeCommand): Promise<{ seq: number; commandId: string }>;
  /** Durable, undelivered records with seq ≥ `fromSeq`, in order, at most `limit`. */
  readFrom(fromSeq: number, limit: number): Promise<BufferedRecord[]>;
  /** Everything up to `seq` is delivered: the cursor moves, fully delivered segments are deleted. */
  ack(seq: number): void;
  onChange(listener: (change: BufferChange) => void): () => void;
  stats(): BufferStats;
  close(): Promise<void>;
}

interface PendingWrite {
  seq: number;
  buf: Buffer;
  payload: string;
  resolve: (r: { seq: number; commandId: string }) => void;
  reject: (e: unknown) => void;
}

const MiB = 1024 * 1024;
const TAIL_RECORDS = 8192;

function resolveOptions(o: DiskBufferOptions) {
  const maxBytes = o.maxBytes ?? 64 * MiB;
  const segmentBytes = o.segmentBytes ?? Math.min(4 * MiB, Math.floor(maxBytes / 8));
  const maxRecordBytes = o.maxRecordBytes ?? Math.min(64 * 1024, segmentBytes);
  const cursorFlushMs = o.cursorFlushMs ?? 200;
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 64 * 1024) throw new ConfigError('buffer maxBytes must be at least 64 KiB', { maxBytes });
  if (!Number.isSafeInteger(segmentBytes) || segmentBytes * 4 > maxBytes) throw new ConfigError('buffer segmentBytes must be at most a quarter of maxBytes', { segmentBytes, maxBytes });
  if (!Number.isSafeInteger(maxRecordBytes) || maxRecordBytes < 256 || maxRecordBytes > segmentBytes) throw new ConfigError('buffer maxRecordBytes must be between 256 bytes and segmentBytes', { maxRecordBytes, segmentBytes });
  if (!Number.isFinite(cursorFlushMs) || cursorFlushMs < 0) throw new ConfigError('buffer cursorFlushMs must be ≥ 0', { cursorFlushMs });
  return { maxBytes, segmentBytes, maxRecordBytes, cursorFlushMs };
}

/**
 * A bounded, crash-safe, append-only queue on disk (plain fs, no native modules). Appends are
 * written in groups, one fsync per group, so each resolves durable and thousands per second fit;
 * the delivery cursor is written with write-then-rename; recovery cuts a torn tail.
 */
export async function openDiskBuffer(dir: string, options: DiskBufferOptions = {}): Promise<DiskBuffer> {
  const opts = resolveOptions(options);
  const logger = (options.logger ?? createLogger()).child({ component: 'edge-buffer', dir });
  await mkdir(dir, { recursive: true });
  const releaseLock = await acquireLock(dir);
  let recovered;
  let active: FileHandle;
  try {
    recovered = await recoverBuffer(dir, opts.maxRecordBytes, logger);
    active = await open(recovered.segments.at(-1)!.path, 'a');
    // What a crashed process wrote may still sit in the page cache: make it durable before
    // anyone reads it as such.
    await active.datasync();
  } catch (e) {
    await releaseLock();
    throw e;
  }
  const { epoch } = recovered;
  const segments: SegmentState[] = recovered.segments;
  let nextSeq = recovered.nextSeq;
  let durableSeq = nextSeq - 1;
  let deliveredSeq = recovered.deliveredSeq;
  let dropped = recovered.dropped;
  let totalBytes = segments.reduce((n, s) => n + s.size, 0);

  let pending: PendingWrite[] = [];
  let flushScheduled = false;
  let flushing: Promise<void> | undefined;
  let failed: BufferWriteFailedError | undefined;
  let closed = false;
  const listeners = new Set<(c: BufferChange) => void>();
  /** Where the last sequential read stopped, so the next one needs no rescan. */
  let readHint: { path: string; offset: number; seq: number } | undefined;

  let written = { delivered: -1, dropped: -1 };
  let cursorChain: Promise<void> = Promise.resolve();
  let cursorTimer: NodeJS.Timeout | undefined;
  const persistCursor = (): Promise<void> => {
    const run = cursorChain.then(async () => {
      const c = { delivered: deliveredSeq, dropped };
      if (c.delivered === written.delivered && c.dropped === written.dropped) return;
      await writeFileAtomic(dir, CURSOR_FILE, JSON.stringify(c));
      written = c;
    });
    cursorChain = run.catch((err: unknown) => logger.error({ err }, 'delivery cursor not written (records may be sent again)'));
    return run;
  };
  if (recovered.cursorChanged) await persistCursor();

  const emit = (change: BufferChange) => {
    for (const l of listeners) {
      try {
        l(change);
      } catch (err) {
        logger.error({ err }, 'buffer listener failed');
      }
    }
  };

  async function rotate(firstSeq: number): Promise<void> {
    await active.close();
    const path = join(dir, segmentName(firstSeq));
    active = await open(path, 'a');
    await fsyncDir(dir);
    segments.push({ firstSeq, path, size: 0 });
  }

  /** Full: the oldest segment goes, undelivered records in it are counted, durably, first. */
  async function dropOldest(): Promise<void> {
    const seg = segments.shift()!;
    const lastSeq = segments[0]!.firstSeq - 1;
    const lost = Math.max(0, lastSeq - Math.max(deliveredSeq, seg.firstSeq - 1));
    deliveredSeq = Math.max(deliveredSeq, lastSeq);
    dropped += lost;
    totalBytes -= seg.size;
    await persistCursor();
    await unlink(seg.path).catch((err: unknown) => logger.error({ err, segment: seg.path }, 'dropped segment not deleted'));
    if (lost > 0) logger.warn({ lost, dropped, maxBytes: opts.maxBytes }, 'buffer full: oldest undelivered records dropped');
    emit('drop');
  }

  async function writeGroup(group: PendingWrite[], bytes: number): Promise<void> {
    let seg = segments.at(-1)!;
    if (seg.size > 0 && seg.size + bytes > opts.segmentBytes) {
      await rotate(group[0]!.seq);
      seg = segments.at(-1)!;
    }
    while (totalBytes + bytes > opts.maxBytes && segments.length > 1) await dropOldest();
    const data = group.length === 1 ? group[0]!.buf : Buffer.concat(group.map((p) => p.buf), bytes);
    for (let off = 0; off < data.length; ) off += (await active.write(data, off, data.length - off, null)).bytesWritten;
    await active.datasync();
    seg.size += bytes;
    totalBytes += bytes;
    durableSeq = group.at(-1)!.seq;
  }

  async function flushLoop(): Promise<void> {
    flushScheduled = false;
    while (pending.length > 0 && !failed) {
      // One group per fsync, at most a segment's worth.
      let bytes = 0;
      let n = 0;
      while (n < pending.length && (n === 0 || bytes + pending[n]!.buf.length <= opts.segmentBytes)) bytes += pending[n++]!.buf.length;
      const group = pending.slice(0, n);
      pending = pending.slice(n);
      try {
        await writeGroup(group, bytes);
      } catch (err) {
        // The file may now end in a partial record: refuse further appends; reopening recovers.
        failed = new BufferWriteFailedError(dir, err);
        logger.error({ err }, 'buffer write failed: appends refused until the buffer is reopened');
        for (const p of [...group, ...pending]) p.reject(failed);
        pending = [];
        break;
      }
      remember(group);
      for (const p of group) p.resolve({ seq: p.seq, commandId: `${epoch}-${p.seq}` });
      emit('append');
    }
  }

  function scheduleFlush(): void {
    if (flushScheduled || flushing) return;
    flushScheduled = true;
    // setImmediate: appends made in the same turn join one write and one fsync.
    setImmediate(() => {
      flushing = flushLoop().finally(() => {
        flushing = undefined;
        if (pending.length > 0 && !failed) scheduleFlush();
      });
    });
  }

  /**
   * The newest durable records, kept in memory: a forwarder that keeps up reads them from here
   * instead of opening the segment again (disk reads are for backlogs).
   */
  let tail: Array<{ seq: number; payload: string }> = [];
  let tailHead = 0;
  function remember(group: PendingWrite[]): void {
    for (const p of group) tail.push({ seq: p.seq, payload: p.payload });
    if (tail.length - tailHead > TAIL_RECORDS) tailHead = tail.length - TAIL_RECORDS;
    if (tailHead > TAIL_RECORDS) {
      tail = tail.slice(tailHead);
      tailHead = 0;
    }
  }

  function decode(seq: number, payload: string): BufferedRecord {
    const p = JSON.parse(payload) as { k: string; i: string; t: string; d: Record<string, unknown> };
    return { seq, commandId: `${epoch}-${seq}`, kind: p.k, id: p.i, type: p.t, data: p.d, bytes: payload.length };
  }

  function deleteDelivered(): void {
    while (segments.length > 1 && segments[1]!.firstSeq - 1 <= deliveredSeq) {
      const seg = segments.shift()!;
      totalBytes -= seg.size;
      unlink(seg.path).catch((err: unknown) => logger.warn({ err, segment: seg.path }, 'delivered segment not deleted'));
    }
  }

  return {
    dir,
    epoch,

    append(command) {
      if (closed) return Promise.reject(new BufferClosedError(dir));
      if (failed) return Promise.reject(failed);
      let buf: Buffer;
      let payload: string;
      try {
        validateKind(command.kind);
        validateId(command.id);
        validateTypeName(command.type, 'command type');
        payload = JSON.stringify({ k: command.kind, i: command.id, t: command.type, d: command.data ?? {} });
        const size = Buffer.byteLength(payload);
        if (size > opts.maxRecordBytes) throw new RecordTooLargeError(size, opts.maxRecordBytes);
        buf = encodeRecord(nextSeq, payload);
      } catch (e) {
        return Promise.reject(e);
      }
      const seq = nextSeq++;
      return new Promise((resolve, reject) => {
        pending.push({ seq, buf, payload, resolve, reject });
        scheduleFlush();
      });
    },

    async readFrom(fromSeq, limit) {
      const out: BufferedRecord[] = [];
      let seq = Math.max(fromSeq, deliveredSeq + 1);
      const cached = tail[tailHead];
      if (cached && seq >= cached.seq) {
        for (let k = tailHead + (seq - cached.seq); k < tail.length && out.length < limit; k++) out.push(decode(tail[k]!.seq, tail[k]!.payload));
        return out;
      }
      while (out.length < limit && seq <= durableSeq) {
        let idx = segments.length - 1;
        while (idx > 0 && segments[idx]!.firstSeq > seq) idx--;
        const seg = segments[idx]!;
        if (seg.firstSeq > seq) seq = seg.firstSeq;
        const hint = readHint && readHint.path === seg.path && readHint.seq <= seq ? readHint : { offset: 0, seq: seg.firstSeq };
        let r;
        try {
          r = await readSegment(seg.path, { offset: hint.offset, seqAtOffset: hint.seq, end: seg.size, fromSeq: seq, limit: limit - out.length, maxPayload: opts.maxRecordBytes });
        } catch (e) {
          readHint = undefined;
          // Dropped or delivered-and-deleted while we read: carry on from what is left.
          if ((e as NodeJS.ErrnoException).code === 'ENOENT' && !segments.includes(seg)) {
            seq = Math.max(seq, deliveredSeq + 1);
            continue;
          }
          throw new BufferCorruptError(dir, (e as Error).message);
        }
        readHint = { path: seg.path, offset: r.offset, seq: r.seq };
        for (const rec of r.records) out.push(decode(rec.seq, rec.payload));
        if (r.records.length === 0 && idx === segments.length - 1) break;
        seq = r.records.length > 0 ? r.seq : (segments[idx + 1]?.firstSeq ?? r.seq);
      }
      return out.length > 0 && out[0]!.seq <= deliveredSeq ? out.filter((r) => r.seq > deliveredSeq) : out;
    },

    ack(seq) {
      if (seq <= deliveredSeq) return;
      if (seq > durableSeq) throw new RangeError(`cannot acknowledge seq ${seq}: only ${durableSeq} are durable`);
      deliveredSeq = seq;
      deleteDelivered();
      if (!cursorTimer && !closed) {
        cursorTimer = setTimeout(() => {
          cursorTimer = undefined;
          void persistCursor().catch(() => undefined);
        }, opts.cursorFlushMs);
        cursorTimer.unref();
      }
    },

    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    stats() {
      return {
        epoch,
        pending: durableSeq - deliveredSeq,
        writing: pending.length,
        bytes: totalBytes,
        segments: segments.length,
        durableSeq,
        deliveredSeq,
        dropped,
      };
    },

    async close() {
      if (closed) return;
      closed = true;
      // Appends accepted before close are still written.
      while (flushScheduled || flushing) await (flushing ?? new Promise((r) => setImmediate(r)));
      if (cursorTimer) clearTimeout(cursorTimer);
      cursorTimer = undefined;
      await persistCursor().catch(() => undefined);
      listeners.clear();
      await active.close();
      await releaseLock();
    },
  };
}
