import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc16Modbus, hasValidCrc, withCrc } from './crc16.js';

const bytes = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex.replace(/ /g, ''), 'hex'));

/**
 * Published vectors: the CRC catalogue's check value for CRC-16/MODBUS ("123456789" → 0x4B37),
 * the request/response examples of the Modbus application protocol specification (slave 0x11),
 * and the widely used example request 01 03 00 00 00 0A, whose frame ends C5 CD.
 */
describe('CRC-16/MODBUS', () => {
  it('has the catalogue check value 0x4B37 for "123456789"', () => {
    expect(crc16Modbus(Buffer.from('123456789', 'ascii'))).toBe(0x4b37);
  });

  it('starts at 0xFFFF (nothing hashed)', () => {
    expect(crc16Modbus(new Uint8Array(0))).toBe(0xffff);
  });

  it.each([
    ['01 03 00 00 00 0A', 'C5 CD'],
    ['01 03 00 00 00 01', '84 0A'],
    ['11 03 00 6B 00 03', '76 87'],
    ['11 03 06 AE 41 56 52 43 40', '49 AD'],
    ['11 06 00 01 00 03', '9A 9B'],
  ])('frame %s ends with %s (low byte first)', (body, crc) => {
    expect(Buffer.from(withCrc(bytes(body))).toString('hex')).toBe(Buffer.from(bytes(`${body}${crc}`)).toString('hex'));
    expect(hasValidCrc(bytes(`${body}${crc}`))).toBe(true);
  });

  it('the numeric CRC of 01 03 00 00 00 0A is 0xCDC5: C5 (low) is sent first', () => {
    expect(crc16Modbus(bytes('01 03 00 00 00 0A'))).toBe(0xcdc5);
  });

  it('detects every single-bit error in a frame', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 2, maxLength: 64 }), fc.nat(), (body, at) => {
        const frame = withCrc(body);
        const bit = at % (frame.length * 8);
        frame[bit >> 3] = (frame[bit >> 3] as number) ^ (1 << (bit & 7));
        expect(hasValidCrc(frame)).toBe(false);
      }),
    );
  });

  it('checks only whole frames: fewer than 4 bytes is never valid', () => {
    expect(hasValidCrc(bytes('FF FF'))).toBe(false);
  });
});
