import type { ChannelInfo, ChannelValue } from '../../driver.js';
import { ChannelNotWritableError, SerialDriverConfigError } from '../errors.js';
import type { RegisterFormat, RegisterSpec } from '../options.js';
import { MAX_READ_QUANTITY } from './frames.js';

/**
 * A device's holding registers as channels: where each lives, how its raw 16-bit words become
 * an engineering value and back. Shared by the driver (decode on read, encode on write) and the
 * simulator (encode the values its source makes), so both sides agree on scaling.
 */
export interface RegisterChannel {
  readonly info: ChannelInfo;
  readonly address: number;
  readonly format: RegisterFormat;
  readonly scale: number;
  /** 1, or 2 for 32-bit formats (high word at `address`). */
  readonly words: 1 | 2;
  /** Decimals the scale can produce (0.1 → 1), so 1234 × 0.1 reads 123.4, not 123.40000000000001. */
  readonly decimals: number;
}

/** Registers read with one request: contiguous, at most 125. */
export interface ReadBlock {
  address: number;
  quantity: number;
  members: RegisterChannel[];
}

const RANGES: Record<Exclude<RegisterFormat, 'bool'>, [number, number]> = {
  uint16: [0, 0xffff],
  int16: [-0x8000, 0x7fff],
  uint32: [0, 0xffffffff],
  int32: [-0x80000000, 0x7fffffff],
};

export function buildRegisterMap(driver: string, specs: readonly RegisterSpec[]): RegisterChannel[] {
  const names = new Set<string>();
  const used = new Map<number, string>();
  return specs.map((s) => {
    if (names.has(s.name)) throw new SerialDriverConfigError(driver, `register name ${s.name} repeats`);
    names.add(s.name);
    const format = s.format ?? 'uint16';
    const words = format === 'uint32' || format === 'int32' ? 2 : 1;
    if (s.address + words - 1 > 0xffff) throw new SerialDriverConfigError(driver, `${s.name} runs past register 65535`);
    // Write single register (06) sets one word; a 32-bit actuator would be written half at a time.
    if (s.role === 'actuator' && words === 2) throw new SerialDriverConfigError(driver, `${s.name}: a ${format} actuator cannot be written with function 06`);
    for (let a = s.address; a < s.address + words; a++) {
      const other = used.get(a);
      if (other !== undefined) throw new SerialDriverConfigError(driver, `${s.name} and ${other} share register ${a}`);
      used.set(a, s.name);
    }
    const scale = s.scale ?? 1;
    return { info: { name: s.name, role: s.role, type: s.type, unit: s.unit }, address: s.address, format, scale, words, decimals: decimalsOf(scale) };
  });
}

export function decodeRegister(ch: RegisterChannel, words: readonly number[]): ChannelValue {
  const [w0 = 0, w1 = 0] = words;
  let raw: number;
  switch (ch.format) {
    case 'bool':
      return w0 !== 0;
    case 'uint16':
      raw = w0;
      break;
    case 'int16':
      raw = w0 >= 0x8000 ? w0 - 0x10000 : w0;
      break;
    case 'uint32':
      raw = w0 * 0x10000 + w1;
      break;
    case 'int32':
      raw = w0 * 0x10000 + w1;
      if (raw >= 0x80000000) raw -= 0x100000000;
      break;
    default: {
      const never: never = ch.format;
      return never;
    }
  }
  return ch.scale === 1 ? raw : round(raw * ch.scale, ch.decimals);
}

/** Raw words for a value; throws ChannelNotWritableError when the value does not fit. */
export function encodeRegister(driver: string, ch: RegisterChannel, value: ChannelValue): number[] {
  if (ch.format === 'bool') {
    if (typeof value === 'boolean') return [value ? 1 : 0];
    if (value === 0 || value === 1) return [value];
    throw new ChannelNotWritableError(driver, ch.info.name, 'it takes true/false (or 1/0)');
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new ChannelNotWritableError(driver, ch.info.name, 'it takes a number');
  const raw = Math.round(value / ch.scale);
  const [min, max] = RANGES[ch.format];
  if (raw < min || raw > max) throw new ChannelNotWritableError(driver, ch.info.name, `${value} is outside ${min * ch.scale}..${max * ch.scale}`);
  const unsigned = raw < 0 ? raw + (ch.words === 2 ? 0x100000000 : 0x10000) : raw;
  return ch.words === 2 ? [Math.floor(unsigned / 0x10000), unsigned % 0x10000] : [unsigned];
}

/** Groups the channels into as few reads as possible, never reading a register no channel names. */
export function readBlocks(channels: readonly RegisterChannel[]): ReadBlock[] {
  const blocks: ReadBlock[] = [];
  for (const ch of [...channels].sort((a, b) => a.address - b.address)) {
    const last = blocks[blocks.length - 1];
    if (last && last.address + last.quantity === ch.address && last.quantity + ch.words <= MAX_READ_QUANTITY) {
      last.quantity += ch.words;
      last.members.push(ch);
    } else {
      blocks.push({ address: ch.address, quantity: ch.words, members: [ch] });
    }
  }
  return blocks;
}

function decimalsOf(scale: number): number {
  for (let d = 0; d < 12; d++) if (Math.abs(scale * 10 ** d - Math.round(scale * 10 ** d)) < 1e-9) return d;
  return 12;
}

function round(v: number, decimals: number): number {
  return Number(v.toFixed(decimals));
}
