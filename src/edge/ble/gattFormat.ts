import type { ChannelValue } from '../driver.js';
import { BleValueError } from './errors.js';

/**
 * How a characteristic's bytes map to a channel value: a fixed little-endian layout times a
 * scale (`physical = raw × scale`, e.g. the Environmental Sensing temperature is int16 in
 * 0.01 °C, scale 0.01), or UTF-8 text. Built once per channel, so reads do no option parsing.
 */
export type GattFormat = 'int16le' | 'uint16le' | 'float32le' | 'uint8' | 'utf8';

export const GATT_FORMATS: readonly GattFormat[] = ['int16le', 'uint16le', 'float32le', 'uint8', 'utf8'];

export interface GattCodec {
  readonly format: GattFormat;
  decode(data: Buffer): number | string;
  encode(value: ChannelValue): Buffer;
}

const INT_LIMITS: Record<'int16le' | 'uint16le' | 'uint8', { min: number; max: number; size: number }> = {
  int16le: { min: -32768, max: 32767, size: 2 },
  uint16le: { min: 0, max: 65535, size: 2 },
  uint8: { min: 0, max: 255, size: 1 },
};

export function gattCodec(channel: string, format: GattFormat, scale = 1): GattCodec {
  if (format === 'utf8') {
    return {
      format,
      decode: (data) => data.toString('utf8'),
      encode: (value) => Buffer.from(String(value), 'utf8'),
    };
  }
  // Dividing by an integer inverse (100 for 0.01) keeps 2137 → 21.37 exact where × 0.01 would not.
  const inverse = 1 / scale;
  const divisor = Math.abs(inverse - Math.round(inverse)) < 1e-9 ? Math.round(inverse) : undefined;
  const toPhysical = (raw: number) => (divisor !== undefined ? raw / divisor : raw * scale);
  const toRaw = (value: number) => (divisor !== undefined ? value * divisor : value / scale);
  const numeric = (value: ChannelValue): number => {
    const n = typeof value === 'boolean' ? (value ? 1 : 0) : typeof value === 'number' ? value : Number.NaN;
    if (!Number.isFinite(n)) throw new BleValueError(channel, `${JSON.stringify(value)} is not a number`);
    return n;
  };
  if (format === 'float32le') {
    return {
      format,
      decode: (data) => {
        if (data.length < 4) throw new BleValueError(channel, `float32le needs 4 bytes, got ${data.length}`);
        return toPhysical(data.readFloatLE(0));
      },
      encode: (value) => {
        const b = Buffer.alloc(4);
        b.writeFloatLE(toRaw(numeric(value)));
        return b;
      },
    };
  }
  const { min, max, size } = INT_LIMITS[format];
  const read = format === 'int16le' ? (b: Buffer) => b.readInt16LE(0) : format === 'uint16le' ? (b: Buffer) => b.readUInt16LE(0) : (b: Buffer) => b.readUInt8(0);
  return {
    format,
    decode: (data) => {
      if (data.length < size) throw new BleValueError(channel, `${format} needs ${size} bytes, got ${data.length}`);
      return toPhysical(read(data));
    },
    encode: (value) => {
      const raw = Math.round(toRaw(numeric(value)));
      if (raw < min || raw > max) throw new BleValueError(channel, `${String(value)} is outside what ${format} × ${scale} can hold`);
      const b = Buffer.alloc(size);
      if (format === 'int16le') b.writeInt16LE(raw);
      else if (format === 'uint16le') b.writeUInt16LE(raw);
      else b.writeUInt8(raw);
      return b;
    },
  };
}
