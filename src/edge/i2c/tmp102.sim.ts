import type { Clock, SimulatedI2cChip } from './simulatedChip.js';
import { sampleValue, type ValueSource } from './valueSource.js';

/**
 * A TMP102 (TI SBOS397) at register level: a 2-bit pointer, four 16-bit registers sent MSB
 * first, written byte by byte. Temperature is 12-bit two's complement left-justified (bits
 * 15..4), or 13-bit (bits 15..3) in extended mode, where bit 0 reads 1; 0.0625 °C per LSB.
 * Continuous conversion samples the value source on every read of the temperature register;
 * in shutdown (SD) the register holds until a one-shot (OS) is written. The comparator (AL)
 * follows T_HIGH/T_LOW with POL; the fault queue is not modelled.
 */
export interface Tmp102Sim extends SimulatedI2cChip {
  setTemperature(source: ValueSource<number>): void;
  /** Raw register words, as the chip holds them (for tests). */
  register(pointer: 0 | 1 | 2 | 3): number;
}

const CONFIG_RESET = 0x60a0; // R1R0 = 11, CR = 4 Hz, AL = 1
const OS = 0x8000;
const SD = 0x0100;
const POL = 0x0400;
const AL = 0x0020;
const EM = 0x0010;
const CONFIG_WRITABLE = 0x1f00 | 0x00d0; // F1 F0 POL TM SD | CR1 CR0 EM

export function createTmp102Sim(opts: { temperature?: ValueSource<number>; clock?: Clock } = {}): Tmp102Sim {
  let source: ValueSource<number> = opts.temperature ?? 21;
  const clock = opts.clock ?? Date.now;
  let pointer = 0;
  let config = CONFIG_RESET;
  let tLow = 0x4b00; // 75 °C
  let tHigh = 0x5000; // 80 °C
  let temperatureWord = 0; // reads 0 °C until the first conversion
  let alert = false;
  let oneShotDone = false;

  const extended = (): boolean => (config & EM) !== 0;
  const decode = (word: number): number => ((word << 16) >> (extended() ? 19 : 20)) * 0.0625;

  const convert = (): void => {
    const t = sampleValue(source, clock());
    const ext = extended();
    const limit = ext ? 4096 : 2048;
    const raw = Math.max(-limit, Math.min(limit - 1, Math.round(t / 0.0625)));
    temperatureWord = ext ? ((raw & 0x1fff) << 3) | 1 : (raw & 0x0fff) << 4;
    const celsius = decode(temperatureWord);
    if (celsius >= decode(tHigh)) alert = true;
    else if (celsius < decode(tLow)) alert = false;
  };

  const read16 = (p: number): number => {
    if (p === 0) {
      if ((config & SD) === 0) convert();
      return temperatureWord;
    }
    if (p === 1) {
      const al = alert === ((config & POL) !== 0) ? AL : 0; // AL reads 1 while inactive when POL = 0
      return (config & ~(OS | AL)) | al | (oneShotDone ? OS : 0);
    }
    return p === 2 ? tLow : tHigh;
  };

  const writeByteAt = (p: number, index: number, byte: number): void => {
    const shift = index === 0 ? 8 : 0;
    const merge = (word: number): number => (word & ~(0xff << shift)) | (byte << shift);
    if (p === 1) {
      const requested = merge(config);
      config = (CONFIG_RESET & 0x6000) | (requested & CONFIG_WRITABLE);
      oneShotDone = false;
      if (index === 0 && (requested & OS) !== 0 && (config & SD) !== 0) {
        convert();
        oneShotDone = true;
      }
    } else if (p === 2) tLow = merge(tLow) & 0xfff8; // limits keep the temperature's 12/13-bit layout
    else if (p === 3) tHigh = merge(tHigh) & 0xfff8;
  };

  return {
    write(bytes) {
      if (bytes.length === 0) return;
      pointer = (bytes[0] ?? 0) & 0x03;
      bytes.subarray(1, 3).forEach((byte, i) => writeByteAt(pointer, i, byte));
    },
    read(length) {
      const word = read16(pointer);
      return Uint8Array.from({ length }, (_, i) => (i % 2 === 0 ? word >> 8 : word & 0xff));
    },
    setTemperature(next) {
      source = next;
    },
    register(p) {
      return p === 0 ? temperatureWord : p === 1 ? config : p === 2 ? tLow : tHigh;
    },
  };
}
