import { randomBytes } from 'node:crypto';
import { open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../shared/logger.js';
import { BufferCorruptError } from './errors.js';
import { fsyncDir, readJson, writeFileAtomic } from './files.js';
import { listSegments, scanSegment, segmentName } from './segments.js';

export const META_FILE = 'buffer.json';
export const CURSOR_FILE = 'cursor.json';

export interface SegmentState {
  firstSeq: number;
  path: string;
  /** Bytes written and fsynced: readers never look past it. */
  size: number;
}

export interface RecoveredBuffer {
  epoch: string;
  /** Oldest first; the last one is where appends go. Never empty. */
  segments: SegmentState[];
  nextSeq: number;
  deliveredSeq: number;
  dropped: number;
  /** Whether the persisted cursor must be rewritten (recovery counted lost records). */
  cursorChanged: boolean;
}

const EPOCH = /^[0-9a-f]{16}$/;

/** The epoch, created once per buffer: ids of a wiped-and-recreated buffer never repeat. */
async function loadEpoch(dir: string, hasSegments: boolean): Promise<string> {
  const meta = await readJson(join(dir, META_FILE));
  if (meta === undefined) {
    // Records without their epoch cannot be given their ids again: refuse rather than re-id them
    // (which could store readings twice).
    if (hasSegments) throw new BufferCorruptError(dir, `${META_FILE} is missing but segments exist`);
    const epoch = randomBytes(8).toString('hex');
    await writeFileAtomic(dir, META_FILE, JSON.stringify({ format: 1, epoch, createdAt: new Date().toISOString() }));
    return epoch;
  }
  const epoch = (meta as { epoch?: unknown })?.epoch;
  if (typeof epoch !== 'string' || !EPOCH.test(epoch)) throw new BufferCorruptError(dir, `${META_FILE} has no valid epoch`);
  return epoch;
}

async function truncateDurably(path: string, bytes: number): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    await fh.truncate(bytes);
    await fh.datasync();
  } finally {
    await fh.close();
  }
}

async function loadCursor(dir: string, logger: Logger): Promise<{ delivered: number; dropped: number }> {
  const raw = await readJson(join(dir, CURSOR_FILE));
  if (raw === undefined) return { delivered: 0, dropped: 0 };
  const c = raw as { delivered?: unknown; dropped?: unknown };
  if (Number.isSafeInteger(c.delivered) && Number.isSafeInteger(c.dropped)) return { delivered: c.delivered as number, dropped: c.dropped as number };
  // Write-then-rename makes this near impossible; resending everything on disk is the safe side
  // (the control plane drops what it already has by command id).
  logger.error({ dir }, 'delivery cursor unreadable: every record on disk will be sent again (duplicates are dropped upstream)');
  return { delivered: 0, dropped: 0 };
}

/**
 * Opens what a previous run left: checks every record, cuts a torn tail (a write the crash
 * interrupted: its append never resolved, so nothing was promised about it), and works out the
 * next seq so no id is ever issued twice.
 */
export async function recoverBuffer(dir: string, maxRecordBytes: number, logger: Logger): Promise<RecoveredBuffer> {
  const found = await listSegments(dir);
  const epoch = await loadEpoch(dir, found.length > 0);
  const cursor = await loadCursor(dir, logger);
  let dropped = cursor.dropped;
  let cursorChanged = false;
  let changedDir = false;
  const segments: SegmentState[] = [];
  let lastCount = 0;

  for (let i = 0; i < found.length; i++) {
    const { firstSeq, path } = found[i]!;
    const next = found[i + 1];
    const scan = await scanSegment(path, firstSeq, maxRecordBytes);
    if (scan.problem) {
      await truncateDurably(path, scan.validBytes);
      if (next) {
        const lostFrom = Math.max(firstSeq + scan.count, cursor.delivered + 1);
        const lost = Math.max(0, next.firstSeq - lostFrom);
        dropped += lost;
        cursorChanged ||= lost > 0;
        logger.error({ dir, segment: path, problem: scan.problem, lost }, 'corrupt segment cut: its remaining records are counted as dropped');
      } else {
        logger.warn({ dir, segment: path, problem: scan.problem, cutBytes: scan.size - scan.validBytes }, 'torn tail cut after a crash');
      }
    }
    if (next && firstSeq + scan.count > next.firstSeq) throw new BufferCorruptError(dir, `segments ${path} and ${next.path} overlap`);
    // Older segments that hold nothing undelivered (or nothing at all) go; the newest always stays.
    if (next && (scan.count === 0 || next.firstSeq - 1 <= cursor.delivered)) {
      await unlink(path);
      changedDir = true;
      continue;
    }
    segments.push({ firstSeq, path, size: scan.validBytes });
    lastCount = scan.count;
  }

  const last = segments.at(-1);
  const onDisk = last ? last.firstSeq + lastCount : 1;
  const nextSeq = Math.max(onDisk, cursor.delivered + 1, 1);
  if (!last || nextSeq !== onDisk) {
    // No segment yet, or the cursor is past what survived: start a segment where seqs continue.
    const path = join(dir, segmentName(nextSeq));
    await (await open(path, 'a')).close();
    segments.push({ firstSeq: nextSeq, path, size: 0 });
    changedDir = true;
  }
  if (changedDir) await fsyncDir(dir);
  const deliveredSeq = Math.max(cursor.delivered, segments[0]!.firstSeq - 1);
  return { epoch, segments, nextSeq, deliveredSeq, dropped, cursorChanged };
}
