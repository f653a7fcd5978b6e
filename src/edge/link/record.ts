import { crc32 } from 'node:zlib';

/**
 * One record on disk: a 16-byte header, then the payload.
 *
 *   u32 LE  payload length (> 0)
 *   u32 LE  CRC-32 of everything after this field (seq and payload)
 *   u32 LE  seq, low 32 bits
 *   u32 LE  seq, high bits
 *
 * The checksum covers the seq, so a torn write, a zero-filled tail after a crash, or a record
 * copied to the wrong place all fail the check and recovery cuts the file there.
 */
export const HEADER_BYTES = 16;
const TWO_32 = 2 ** 32;

export function encodeRecord(seq: number, payload: string): Buffer {
  const length = Buffer.byteLength(payload);
  const buf = Buffer.allocUnsafe(HEADER_BYTES + length);
  buf.writeUInt32LE(length, 0);
  buf.writeUInt32LE(seq % TWO_32, 8);
  buf.writeUInt32LE(Math.floor(seq / TWO_32), 12);
  buf.write(payload, HEADER_BYTES, length, 'utf8');
  buf.writeUInt32LE(crc32(buf.subarray(8)), 4);
  return buf;
}

export interface ParsedRecord {
  seq: number;
  /** Offset of the record's header in the parsed buffer. */
  offset: number;
  payload: Buffer;
}

export type ParseEnd =
  /** The buffer ends exactly after a whole record. */
  | { kind: 'end'; offset: number }
  /** The buffer ends inside a record that may be completed by reading further. */
  | { kind: 'partial'; offset: number }
  /** The bytes at `offset` are not a valid record (torn write, corruption, wrong seq). */
  | { kind: 'invalid'; offset: number; reason: string };

/**
 * Walks the whole records in `buf` from `offset`, expecting consecutive seqs from `expectSeq`
 * (undefined: take the first record's seq). Stops at the first record it cannot trust.
 */
export function parseRecords(buf: Buffer, offset: number, expectSeq: number | undefined, maxPayload: number, onRecord: (r: ParsedRecord) => boolean | void): ParseEnd {
  let at = offset;
  let expect = expectSeq;
  while (at < buf.length) {
    if (buf.length - at < HEADER_BYTES) return { kind: 'partial', offset: at };
    const length = buf.readUInt32LE(at);
    if (length === 0 || length > maxPayload) return { kind: 'invalid', offset: at, reason: `record length ${length}` };
    if (buf.length - at - HEADER_BYTES < length) return { kind: 'partial', offset: at };
    const end = at + HEADER_BYTES + length;
    if (crc32(buf.subarray(at + 8, end)) !== buf.readUInt32LE(at + 4)) return { kind: 'invalid', offset: at, reason: 'checksum mismatch' };
    const seq = buf.readUInt32LE(at + 8) + buf.readUInt32LE(at + 12) * TWO_32;
    if (expect !== undefined && seq !== expect) return { kind: 'invalid', offset: at, reason: `seq ${seq} where ${expect} was expected` };
    const stop = onRecord({ seq, offset: at, payload: buf.subarray(at + HEADER_BYTES, end) });
    at = end;
    expect = seq + 1;
    if (stop === true) return { kind: 'end', offset: at };
  }
  return { kind: 'end', offset: at };
}
