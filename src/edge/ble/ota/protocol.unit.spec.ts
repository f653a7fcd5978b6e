import zlib from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32 } from './crc32.js';
import { decodeChunk, decodeControl, decodeDevice, encodeChunk, encodeControl, encodeDevice, type DeviceFrame } from './protocol.js';

const zlibCrc = (zlib as unknown as { crc32?: (b: Uint8Array) => number }).crc32;

describe('crc32', () => {
  it('gives the standard check value, and continues across pieces', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    expect(crc32(Buffer.alloc(0))).toBe(0);
    const all = Buffer.from('hello, firmware');
    expect(crc32(all.subarray(7), crc32(all.subarray(0, 7)))).toBe(crc32(all));
  });

  it.skipIf(!zlibCrc)('agrees with zlib on any bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), (b) => crc32(b) === zlibCrc!(b)));
  });
});

describe('OTA frames', () => {
  it('round-trip START and VERIFY', () => {
    const start = { op: 'START', size: 70_000, chunkSize: 180, crc32: 0xdeadbeef, version: 'b0c34f7ac4c8' } as const;
    expect(decodeControl(encodeControl(start))).toEqual(start);
    expect(decodeControl(encodeControl({ op: 'VERIFY' }))).toEqual({ op: 'VERIFY' });
  });

  it('round-trip every device answer', () => {
    const frames: DeviceFrame[] = [
      { op: 'READY', resumeFrom: 1234 },
      { op: 'ACK', seq: 7, nextOffset: 1440 },
      { op: 'NAK', seq: 8, reason: 2, expectedOffset: 1440 },
      { op: 'DONE', crc32: 0xffffffff },
      { op: 'FAIL', reason: 1, detail: 0x12345678 },
    ];
    for (const f of frames) expect(decodeDevice(encodeDevice(f))).toEqual(f);
  });

  it('round-trip CHUNK with its bytes', () => {
    fc.assert(
      fc.property(fc.nat(), fc.nat(), fc.uint8Array({ maxLength: 244 }), (seq, offset, bytes) => {
        const b = Buffer.from(bytes);
        const f = decodeChunk(encodeChunk({ seq, offset, crc32: crc32(b), bytes: b }));
        return f.seq === seq && f.offset === offset && f.crc32 === crc32(b) && f.bytes.equals(b);
      }),
    );
  });

  it('refuse malformed frames with ERR_OTA_PROTOCOL', () => {
    expect(() => decodeDevice(Buffer.alloc(0))).toThrow(expect.objectContaining({ code: 'ERR_OTA_PROTOCOL' }));
    expect(() => decodeDevice(Buffer.from([0x82, 1, 0]))).toThrow(/ACK frame is 3 bytes/);
    expect(() => decodeDevice(Buffer.from([0x99]))).toThrow(/unknown device opcode 0x99/);
    expect(() => decodeControl(Buffer.from([0x01, 0, 0]))).toThrow(/START/);
    expect(() => encodeControl({ op: 'START', size: 1, chunkSize: 1, crc32: 0, version: 'x'.repeat(129) })).toThrow(/version/);
  });
});
