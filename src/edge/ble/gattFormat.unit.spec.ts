import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gattCodec } from './gattFormat.js';

describe('gatt formats', () => {
  it('decode the layouts and scales devices use', () => {
    expect(gattCodec('t', 'int16le', 0.01).decode(Buffer.from([0x0c, 0xfe]))).toBe(-5);
    expect(gattCodec('h', 'uint16le', 0.01).decode(Buffer.from([0x9c, 0x12]))).toBe(47.64);
    expect(gattCodec('p', 'float32le').decode(Buffer.from(new Float32Array([1.5]).buffer))).toBe(1.5);
    expect(gattCodec('b', 'uint8').decode(Buffer.from([200]))).toBe(200);
    expect(gattCodec('s', 'utf8').decode(Buffer.from('ok'))).toBe('ok');
    expect(gattCodec('x', 'uint16le', 10).decode(Buffer.from([0x01, 0x00]))).toBe(10);
  });

  it('refuse short buffers and values the layout cannot hold', () => {
    expect(() => gattCodec('t', 'int16le').decode(Buffer.from([1]))).toThrow(expect.objectContaining({ code: 'ERR_BLE_VALUE' }));
    expect(() => gattCodec('b', 'uint8').encode(256)).toThrow(/outside/);
    expect(() => gattCodec('b', 'uint8').encode('high')).toThrow(/not a number/);
    expect(gattCodec('b', 'uint8').encode(true)).toEqual(Buffer.from([1]));
  });

  it('round-trip every raw int16 value at a centi scale exactly', () => {
    const c = gattCodec('t', 'int16le', 0.01);
    fc.assert(
      fc.property(fc.integer({ min: -32768, max: 32767 }), (raw) => {
        const b = Buffer.alloc(2);
        b.writeInt16LE(raw);
        return c.encode(c.decode(b)).equals(b);
      }),
    );
  });
});
