import type { Clock, SimulatedI2cChip } from './simulatedChip.js';
import { sampleValue, type ValueSource } from './valueSource.js';

/**
 * An ADS1115 (TI SBAS444) at register level: a 2-bit pointer, 16-bit registers MSB first
 * (conversion, config, Lo_thresh, Hi_thresh). Writing OS = 1 in single-shot mode starts a
 * conversion of the muxed inputs at the PGA's full scale (a write during a conversion starts
 * nothing, as on the chip); it ends after 1/DR of clock time or `busyPolls` config reads,
 * whichever comes first, and its signed 16-bit result lands in the conversion register.
 * Continuous mode converts on every read of the conversion register. The comparator and
 * ALERT/RDY pin are not modelled.
 */
export interface Ads1115SimOptions {
  /** Volts on AIN0..AIN3 (to GND). */
  voltages?: ValueSource<number>[];
  busyPolls?: number;
  /** A broken chip: conversions never finish. */
  stuck?: boolean;
  clock?: Clock;
}

export interface Ads1115Sim extends SimulatedI2cChip {
  setVoltage(input: 0 | 1 | 2 | 3, source: ValueSource<number>): void;
  register(pointer: 0 | 1 | 2 | 3): number;
  /** Conversions started so far. */
  readonly conversions: number;
}

const CONFIG_RESET = 0x8583;
const OS = 0x8000;
const MODE_SINGLE = 0x0100;
// MUX[14:12] → [positive input, negative input]; -1 is GND.
const MUX_INPUTS: ReadonlyArray<readonly [number, number]> = [[0, 1], [0, 3], [1, 3], [2, 3], [0, -1], [1, -1], [2, -1], [3, -1]];
const FULL_SCALE_V = [6.144, 4.096, 2.048, 1.024, 0.512, 0.256, 0.256, 0.256]; // PGA[11:9]
const SAMPLES_PER_S = [8, 16, 32, 64, 128, 250, 475, 860]; // DR[7:5]

export function createAds1115Sim(opts: Ads1115SimOptions = {}): Ads1115Sim {
  const voltages: ValueSource<number>[] = [0, 1, 2, 3].map((i) => opts.voltages?.[i] ?? 0);
  const clock = opts.clock ?? Date.now;
  const busyPolls = opts.busyPolls ?? 1;
  let pointer = 0;
  let config = CONFIG_RESET & ~OS;
  let conversion = 0;
  let loThresh = 0x8000;
  let hiThresh = 0x7fff;
  let busy = 0; // config reads left before the conversion in progress ends
  let endsAt = 0; // clock time at which it ends anyway
  let pending = 0;
  let conversions = 0;

  const settle = (): void => {
    if (busy > 0 && !opts.stuck && clock() >= endsAt) {
      busy = 0;
      conversion = pending;
    }
  };

  const convert = (): number => {
    const [p, n] = MUX_INPUTS[(config >> 12) & 0x07] ?? [0, 1];
    const now = clock();
    const volts = (i: number): number => (i < 0 ? 0 : sampleValue(voltages[i] ?? 0, now));
    const fullScale = FULL_SCALE_V[(config >> 9) & 0x07] ?? 2.048;
    const code = Math.max(-32768, Math.min(32767, Math.round(((volts(p) - volts(n)) / fullScale) * 32768)));
    conversions += 1;
    return code & 0xffff;
  };

  const single = (): boolean => (config & MODE_SINGLE) !== 0;

  const read16 = (p: number): number => {
    settle();
    if (p === 0) {
      if (!single()) conversion = convert();
      return conversion;
    }
    if (p === 1) {
      const converting = single() ? busy > 0 : true;
      if (busy > 0 && !opts.stuck && --busy === 0) conversion = pending;
      return config | (converting ? 0 : OS);
    }
    return p === 2 ? loThresh : hiThresh;
  };

  const write16 = (p: number, value: number): void => {
    settle();
    if (p === 1) {
      config = value & ~OS;
      if ((value & OS) !== 0 && single() && busy === 0) {
        pending = convert();
        busy = busyPolls;
        endsAt = clock() + 1000 / (SAMPLES_PER_S[(config >> 5) & 0x07] ?? 128);
        if (busy === 0 && !opts.stuck) conversion = pending;
        else busy = Math.max(busy, 1);
      }
    } else if (p === 2) loThresh = value;
    else if (p === 3) hiThresh = value;
    // the conversion register is read-only
  };

  return {
    write(bytes) {
      if (bytes.length === 0) return;
      pointer = (bytes[0] ?? 0) & 0x03;
      if (bytes.length >= 3) write16(pointer, ((bytes[1] ?? 0) << 8) | (bytes[2] ?? 0));
    },
    read(length) {
      const word = read16(pointer);
      return Uint8Array.from({ length }, (_, i) => (i % 2 === 0 ? word >> 8 : word & 0xff));
    },
    setVoltage(input, source) {
      voltages[input] = source;
    },
    register(p) {
      settle();
      return p === 0 ? conversion : p === 1 ? config | (busy > 0 ? 0 : OS) : p === 2 ? loThresh : hiThresh;
    },
    get conversions() {
      return conversions;
    },
  };
}
