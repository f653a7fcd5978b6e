import { open, readdir, readFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { HEADER_BYTES, parseRecords } from './record.js';

/**
 * Segment files: `<first seq, 16 digits>.seg`, each an append-only run of consecutive records.
 * Only the newest segment is ever written; older ones are deleted whole once delivered (or
 * dropped when the buffer is full).
 */
const SUFFIX = '.seg';
const NAME = /^(\d{16})\.seg$/;
const CHUNK = 256 * 1024;

export function segmentName(firstSeq: number): string {
  return `${String(firstSeq).padStart(16, '0')}${SUFFIX}`;
}

/** Segment files in seq order. */
export async function listSegments(dir: string): Promise<Array<{ firstSeq: number; path: string }>> {
  const names = await readdir(dir);
  return names
    .map((name) => NAME.exec(name))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ firstSeq: Number(m[1]), path: join(dir, m[0]) }))
    .sort((a, b) => a.firstSeq - b.firstSeq);
}

export interface ScanResult {
  size: number;
  /** Bytes of whole, valid records from the start. */
  validBytes: number;
  count: number;
  /** Why the scan stopped before the end of the file, if it did. */
  problem?: string;
}

/**
 * Checks every record of a segment (at open: this is what finds a torn tail). A segment is
 * bounded (the segment size plus one write), so it is read whole.
 */
export async function scanSegment(path: string, firstSeq: number, maxPayload: number): Promise<ScanResult> {
  const buf = await readFile(path);
  let count = 0;
  const end = parseRecords(buf, 0, firstSeq, maxPayload, () => {
    count++;
  });
  const problem = end.kind === 'invalid' ? end.reason : end.kind === 'partial' ? 'incomplete record at the end' : undefined;
  return { size: buf.length, validBytes: end.offset, count, ...(problem ? { problem } : {}) };
}

/** A chunk starting at `offset`, large enough for at least one whole record when there is one. */
async function readChunk(fh: FileHandle, offset: number, end: number, maxPayload: number): Promise<Buffer> {
  const want = Math.min(end - offset, Math.max(CHUNK, HEADER_BYTES + maxPayload));
  const buf = Buffer.allocUnsafe(want);
  let got = 0;
  while (got < want) {
    const { bytesRead } = await fh.read(buf, got, want - got, offset + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return buf.subarray(0, got);
}

export interface SegmentRecord {
  seq: number;
  payload: string;
}

/**
 * Records of one segment between byte `offset` and `end` (the durable size), with seq ≥ `fromSeq`,
 * at most `limit`. Returns where the next record starts, so sequential reads need no rescan.
 */
export async function readSegment(
  path: string,
  opts: { offset: number; seqAtOffset: number; end: number; fromSeq: number; limit: number; maxPayload: number },
): Promise<{ records: SegmentRecord[]; offset: number; seq: number }> {
  const records: SegmentRecord[] = [];
  let offset = opts.offset;
  let seq = opts.seqAtOffset;
  const fh = await open(path, 'r');
  try {
    while (offset < opts.end && records.length < opts.limit) {
      const buf = await readChunk(fh, offset, opts.end, opts.maxPayload);
      const end = parseRecords(buf, 0, seq, opts.maxPayload, (r) => {
        seq = r.seq + 1;
        if (r.seq >= opts.fromSeq) records.push({ seq: r.seq, payload: r.payload.toString('utf8') });
        return records.length >= opts.limit;
      });
      if (end.kind === 'invalid') throw new Error(`${path} at byte ${offset + end.offset}: ${end.reason}`);
      if (end.offset === 0) throw new Error(`${path} at byte ${offset}: a record runs past the durable end`);
      offset += end.offset;
    }
  } finally {
    await fh.close();
  }
  return { records, offset, seq };
}
