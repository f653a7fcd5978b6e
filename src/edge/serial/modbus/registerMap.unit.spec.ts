import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChannelNotWritableError, SerialDriverConfigError } from '../errors.js';
import type { RegisterSpec } from '../options.js';
import { buildRegisterMap, decodeRegister, encodeRegister, readBlocks } from './registerMap.js';

const spec = (s: Partial<RegisterSpec> & Pick<RegisterSpec, 'name' | 'address'>): RegisterSpec => ({ role: 'sensor', type: 'x', unit: '', ...s });
const one = (s: Partial<RegisterSpec>) => buildRegisterMap('modbus', [spec({ name: 'c', address: 0, ...s })])[0]!;

describe('Modbus register map', () => {
  it('decodes each format, with scale and without float noise', () => {
    expect(decodeRegister(one({ scale: 0.1 }), [1234])).toBe(123.4);
    expect(decodeRegister(one({ format: 'int16', scale: 0.1 }), [0xff83])).toBe(-12.5);
    expect(decodeRegister(one({ format: 'uint32' }), [0x0001, 0x1170])).toBe(70_000);
    expect(decodeRegister(one({ format: 'int32' }), [0xffff, 0xfffe])).toBe(-2);
    expect(decodeRegister(one({ format: 'bool' }), [0])).toBe(false);
    expect(decodeRegister(one({ format: 'bool' }), [1])).toBe(true);
    expect(decodeRegister(one({ scale: 0.01 }), [33])).toBe(0.33);
  });

  it('encodes what it decodes, for every format', () => {
    const formats = ['uint16', 'int16', 'uint32', 'int32'] as const;
    fc.assert(
      fc.property(fc.constantFrom(...formats), fc.integer({ min: -0x80000000, max: 0xffffffff }), (format, raw) => {
        const ch = one({ format, scale: 0.1 });
        const ok = { uint16: raw >= 0 && raw <= 0xffff, int16: raw >= -0x8000 && raw <= 0x7fff, uint32: raw >= 0, int32: raw <= 0x7fffffff }[format];
        if (!ok) {
          expect(() => encodeRegister('modbus', ch, raw / 10)).toThrow(ChannelNotWritableError);
          return;
        }
        const words = encodeRegister('modbus', ch, raw / 10);
        expect(words.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffff)).toBe(true);
        expect(decodeRegister(ch, words)).toBeCloseTo(raw / 10, 6);
      }),
    );
  });

  it('refuses values a register cannot hold', () => {
    expect(() => encodeRegister('modbus', one({ format: 'bool' }), 'on')).toThrow(ChannelNotWritableError);
    expect(() => encodeRegister('modbus', one({}), true)).toThrow(ChannelNotWritableError);
    expect(() => encodeRegister('modbus', one({}), Number.NaN)).toThrow(ChannelNotWritableError);
    expect(encodeRegister('modbus', one({ format: 'bool' }), true)).toEqual([1]);
  });

  it('refuses tables that cannot work: repeated names, shared registers, 32-bit actuators', () => {
    expect(() => buildRegisterMap('modbus', [spec({ name: 'a', address: 0 }), spec({ name: 'a', address: 1 })])).toThrow(SerialDriverConfigError);
    expect(() => buildRegisterMap('modbus', [spec({ name: 'a', address: 0, format: 'uint32' }), spec({ name: 'b', address: 1 })])).toThrow(/share register 1/);
    expect(() => buildRegisterMap('modbus', [spec({ name: 'a', address: 0, format: 'int32', role: 'actuator' })])).toThrow(/function 06/);
    expect(() => buildRegisterMap('modbus', [spec({ name: 'a', address: 65535, format: 'uint32' })])).toThrow(SerialDriverConfigError);
  });

  it('reads contiguous registers together and never reads a gap', () => {
    const map = buildRegisterMap('modbus', [
      spec({ name: 'e', address: 2, format: 'uint32' }),
      spec({ name: 'p', address: 0 }),
      spec({ name: 'r', address: 1 }),
      spec({ name: 'far', address: 10 }),
    ]);
    expect(readBlocks(map).map((b) => [b.address, b.quantity, b.members.map((m) => m.info.name)])).toEqual([
      [0, 4, ['p', 'r', 'e']],
      [10, 1, ['far']],
    ]);
    const many = buildRegisterMap('modbus', Array.from({ length: 130 }, (_, i) => spec({ name: `r${i}`, address: i })));
    expect(readBlocks(many).map((b) => b.quantity)).toEqual([125, 5]);
  });
});
