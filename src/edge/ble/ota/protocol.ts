import { OtaProtocolError } from './errors.js';

/**
 * edgeplane OTA over BLE, version 1: a chunked, resumable firmware transfer over one GATT service
 * with two characteristics.
 *
 *   control  (write + notify)  gateway → device: START, VERIFY;  device → gateway: READY, ACK, NAK, DONE, FAIL
 *   data     (write)           gateway → device: CHUNK
 *
 * All integers are little-endian; every frame starts with a one-byte opcode. CRCs are CRC-32/IEEE.
 *
 *   START   0x01 size:u32 chunkSize:u16 crc32:u32 versionLength:u8 version:utf8   (version ≤ 128 bytes)
 *   VERIFY  0x02
 *   CHUNK   0x10 seq:u32 offset:u32 crc32:u32 bytes…      (crc32 of these bytes only)
 *   READY   0x81 resumeFrom:u32
 *   ACK     0x82 seq:u32 nextOffset:u32
 *   NAK     0x83 seq:u32 reason:u8 expectedOffset:u32
 *   DONE    0x84 crc32:u32
 *   FAIL    0x85 reason:u8 detail:u32
 *
 * 1. The gateway subscribes to control, writes START. The device answers READY with the offset it
 *    already holds for this image: it persists (in flash, across disconnects and reboots) the
 *    image identity (size, crc32, version) and how many bytes of it it has, so a START for the
 *    same image resumes there; a START for another image discards the old one and answers 0.
 *    A device that cannot take the image answers FAIL (TOO_LARGE, detail = its capacity).
 * 2. From `resumeFrom`, the gateway writes CHUNKs in order; `seq = floor(offset / chunkSize)`,
 *    echoed in the answer so late answers to earlier tries are told apart.
 *    - bytes intact and `offset` where the device is: stored, persisted, ACK {nextOffset};
 *    - `offset` before where the device is (a resend after a lost ACK): nothing stored, ACK with
 *      the device's offset, so a dropped ACK costs one resend, never a restart;
 *    - CRC wrong: NAK CRC, the gateway resends; `offset` past the device: NAK OFFSET with
 *      `expectedOffset`, the gateway continues from there; no START on this link: NAK NOT_STARTED.
 *    The gateway bounds every wait (per-chunk timeout, bounded retries, overall deadline).
 * 3. After the last chunk the gateway writes VERIFY; the device computes the CRC-32 of the whole
 *    image: equal to START's → DONE {crc32} (it then installs the image and forgets the partial
 *    state); otherwise FAIL IMAGE_CRC {detail = computed crc} and it discards the image, so the
 *    next attempt starts from 0. VERIFY before all bytes arrived → FAIL INCOMPLETE {detail = offset}.
 * 4. If the link drops at any point, the gateway reconnects, resubscribes and sends START again;
 *    READY tells it where to continue.
 */

export const OTA_PROTOCOL_VERSION = 1;

/** The service and characteristics (edgeplane's own 128-bit UUIDs, in noble's form). */
export const OTA_SERVICE_UUID = 'e7a10001c0de4b1a9d3f5e0a6c8b1d20';
export const OTA_CONTROL_UUID = 'e7a10002c0de4b1a9d3f5e0a6c8b1d20';
export const OTA_DATA_UUID = 'e7a10003c0de4b1a9d3f5e0a6c8b1d20';

export const MAX_VERSION_BYTES = 128;
export const CHUNK_HEADER_BYTES = 13;

export const Op = { START: 0x01, VERIFY: 0x02, CHUNK: 0x10, READY: 0x81, ACK: 0x82, NAK: 0x83, DONE: 0x84, FAIL: 0x85 } as const;

export const NakReason = { CRC: 1, OFFSET: 2, NOT_STARTED: 3, BOUNDS: 4 } as const;
export type NakReason = (typeof NakReason)[keyof typeof NakReason];

export const FailReason = { IMAGE_CRC: 1, TOO_LARGE: 2, INCOMPLETE: 3, BAD_START: 4 } as const;
export type FailReason = (typeof FailReason)[keyof typeof FailReason];

export const nakReasonName = (r: number): string => Object.entries(NakReason).find(([, v]) => v === r)?.[0] ?? `reason ${r}`;
export const failReasonName = (r: number): string => Object.entries(FailReason).find(([, v]) => v === r)?.[0] ?? `reason ${r}`;

export interface StartFrame {
  op: 'START';
  size: number;
  chunkSize: number;
  crc32: number;
  version: string;
}
export type ControlFrame = StartFrame | { op: 'VERIFY' };
export interface ChunkFrame {
  op: 'CHUNK';
  seq: number;
  offset: number;
  crc32: number;
  bytes: Buffer;
}
export type DeviceFrame =
  | { op: 'READY'; resumeFrom: number }
  | { op: 'ACK'; seq: number; nextOffset: number }
  | { op: 'NAK'; seq: number; reason: number; expectedOffset: number }
  | { op: 'DONE'; crc32: number }
  | { op: 'FAIL'; reason: number; detail: number };

export function encodeControl(f: ControlFrame): Buffer {
  if (f.op === 'VERIFY') return Buffer.from([Op.VERIFY]);
  const version = Buffer.from(f.version, 'utf8');
  if (version.length > MAX_VERSION_BYTES) throw new OtaProtocolError(`version is ${version.length} bytes, at most ${MAX_VERSION_BYTES}`);
  const b = Buffer.alloc(12 + version.length);
  b.writeUInt8(Op.START, 0);
  b.writeUInt32LE(f.size, 1);
  b.writeUInt16LE(f.chunkSize, 5);
  b.writeUInt32LE(f.crc32 >>> 0, 7);
  b.writeUInt8(version.length, 11);
  version.copy(b, 12);
  return b;
}

export function encodeChunk(f: Omit<ChunkFrame, 'op'>): Buffer {
  const b = Buffer.alloc(CHUNK_HEADER_BYTES + f.bytes.length);
  b.writeUInt8(Op.CHUNK, 0);
  b.writeUInt32LE(f.seq, 1);
  b.writeUInt32LE(f.offset, 5);
  b.writeUInt32LE(f.crc32 >>> 0, 9);
  f.bytes.copy(b, CHUNK_HEADER_BYTES);
  return b;
}

export function encodeDevice(f: DeviceFrame): Buffer {
  switch (f.op) {
    case 'READY':
      return frame(Op.READY, [4, f.resumeFrom]);
    case 'ACK':
      return frame(Op.ACK, [4, f.seq], [4, f.nextOffset]);
    case 'NAK':
      return frame(Op.NAK, [4, f.seq], [1, f.reason], [4, f.expectedOffset]);
    case 'DONE':
      return frame(Op.DONE, [4, f.crc32]);
    case 'FAIL':
      return frame(Op.FAIL, [1, f.reason], [4, f.detail]);
  }
}

function frame(op: number, ...fields: [1 | 4, number][]): Buffer {
  const b = Buffer.alloc(1 + fields.reduce((n, [size]) => n + size, 0));
  b.writeUInt8(op, 0);
  let at = 1;
  for (const [size, value] of fields) {
    if (size === 1) b.writeUInt8(value, at);
    else b.writeUInt32LE(value >>> 0, at);
    at += size;
  }
  return b;
}

function need(b: Buffer, length: number, what: string): void {
  if (b.length < length) throw new OtaProtocolError(`${what} frame is ${b.length} bytes, needs ${length}`);
}

/** What the gateway receives on control notifications; anything malformed is an `OtaProtocolError`. */
export function decodeDevice(b: Buffer): DeviceFrame {
  need(b, 1, 'empty');
  switch (b[0]) {
    case Op.READY:
      need(b, 5, 'READY');
      return { op: 'READY', resumeFrom: b.readUInt32LE(1) };
    case Op.ACK:
      need(b, 9, 'ACK');
      return { op: 'ACK', seq: b.readUInt32LE(1), nextOffset: b.readUInt32LE(5) };
    case Op.NAK:
      need(b, 10, 'NAK');
      return { op: 'NAK', seq: b.readUInt32LE(1), reason: b.readUInt8(5), expectedOffset: b.readUInt32LE(6) };
    case Op.DONE:
      need(b, 5, 'DONE');
      return { op: 'DONE', crc32: b.readUInt32LE(1) };
    case Op.FAIL:
      need(b, 6, 'FAIL');
      return { op: 'FAIL', reason: b.readUInt8(1), detail: b.readUInt32LE(2) };
    default:
      throw new OtaProtocolError(`unknown device opcode 0x${(b[0] ?? 0).toString(16)}`);
  }
}

/** What the device receives on control. */
export function decodeControl(b: Buffer): ControlFrame {
  need(b, 1, 'empty');
  if (b[0] === Op.VERIFY) return { op: 'VERIFY' };
  if (b[0] !== Op.START) throw new OtaProtocolError(`unknown control opcode 0x${(b[0] ?? 0).toString(16)}`);
  need(b, 12, 'START');
  const length = b.readUInt8(11);
  need(b, 12 + length, 'START');
  return { op: 'START', size: b.readUInt32LE(1), chunkSize: b.readUInt16LE(5), crc32: b.readUInt32LE(7), version: b.subarray(12, 12 + length).toString('utf8') };
}

/** What the device receives on data. */
export function decodeChunk(b: Buffer): ChunkFrame {
  need(b, CHUNK_HEADER_BYTES, 'CHUNK');
  if (b[0] !== Op.CHUNK) throw new OtaProtocolError(`unknown data opcode 0x${(b[0] ?? 0).toString(16)}`);
  return { op: 'CHUNK', seq: b.readUInt32LE(1), offset: b.readUInt32LE(5), crc32: b.readUInt32LE(9), bytes: Buffer.from(b.subarray(CHUNK_HEADER_BYTES)) };
}
