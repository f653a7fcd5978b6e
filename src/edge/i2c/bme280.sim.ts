import { BME280_CALIB1_START, BME280_CALIB2_START, encodeBme280Calibration, type Bme280Calibration } from './bme280.calibration.js';
import { humidityDouble, pressureDouble, temperatureDouble } from './bme280.compensateDouble.js';
import type { Clock, SimulatedI2cChip } from './simulatedChip.js';
import { sampleValue, type ValueSource } from './valueSource.js';

/**
 * A BME280 (Bosch BST-BME280-DS002) at register level: chip id, soft reset, trimming NVM,
 * ctrl_hum (applied by the next ctrl_meas write), ctrl_meas, config, status, and the data
 * block 0xF7..0xFE. Reads auto-increment; writes are (register, value) pairs. A forced
 * measurement reports `measuring` for `busyPolls` status reads before its data lands; raw
 * values are found by inverting the datasheet's double-precision compensation, quantized to
 * the resolution the oversampling gives (16 + osrs − 1 bits, 20 with the IIR filter on).
 */
export interface Bme280SimOptions {
  temperature?: ValueSource<number>; // °C
  pressure?: ValueSource<number>; // hPa
  humidity?: ValueSource<number>; // %RH
  calibration?: Bme280Calibration;
  /** 0x60 for a BME280; 0x58 makes it a BMP280. */
  chipId?: number;
  /** Status reads that still show `measuring` (and `im_update` after a reset). */
  busyPolls?: number;
  clock?: Clock;
}

export interface Bme280Sim extends SimulatedI2cChip {
  set(values: { temperature?: ValueSource<number>; pressure?: ValueSource<number>; humidity?: ValueSource<number> }): void;
  /** The register byte, as held (for tests). */
  register(address: number): number;
}

/**
 * T and P from the BMP280 datasheet's worked example (§3.12; the BME280 shares the formulas);
 * H values are typical of a real part (Bosch publishes no humidity example).
 */
export const BME280_EXAMPLE_CALIBRATION: Bme280Calibration = {
  T1: 27504, T2: 26435, T3: -1000,
  P1: 36477, P2: -10685, P3: 3024, P4: 2855, P5: 140, P6: -7, P7: 15500, P8: -14600, P9: 6000,
  H1: 75, H2: 362, H3: 0, H4: 313, H5: 50, H6: 30,
};

const RESET_DATA = [0x80, 0x00, 0x00, 0x80, 0x00, 0x00, 0x80, 0x00]; // 0x80000, 0x80000, 0x8000

export function createBme280Sim(opts: Bme280SimOptions = {}): Bme280Sim {
  const calibration = opts.calibration ?? BME280_EXAMPLE_CALIBRATION;
  const clock = opts.clock ?? Date.now;
  const busyPolls = opts.busyPolls ?? 1;
  const sources = { temperature: opts.temperature ?? 21, pressure: opts.pressure ?? 1013.25, humidity: opts.humidity ?? 45 };
  const regs = new Uint8Array(256);
  const { calib1, calib2 } = encodeBme280Calibration(calibration);
  let pointer = 0;
  let osrsH = 0; // the humidity oversampling in effect (ctrl_hum as of the last ctrl_meas write)
  let measuring = 0;
  let nvmCopying = 0;
  let pending: number[] | undefined;

  const powerOn = (): void => {
    regs.fill(0);
    regs.set(calib1, BME280_CALIB1_START);
    regs.set(calib2, BME280_CALIB2_START);
    regs[0xd0] = opts.chipId ?? 0x60;
    regs.set(RESET_DATA, 0xf7);
    osrsH = 0;
    measuring = 0;
    pending = undefined;
    nvmCopying = busyPolls;
  };

  const measure = (): number[] => {
    const ctrlMeas = regs[0xf4] ?? 0;
    const filterOn = ((regs[0xf5] ?? 0) & 0x1c) !== 0;
    const bits = (osrs: number): number => (filterOn ? 20 : 16 + Math.min(osrs, 5) - 1);
    const quantize = (adc: number, osrs: number): number => Math.min(0xfffff, Math.round(adc / 2 ** (20 - bits(osrs))) * 2 ** (20 - bits(osrs)));
    const now = clock();
    const osrsT = ctrlMeas >> 5;
    const osrsP = (ctrlMeas >> 2) & 0x07;
    const adcT = osrsT === 0 ? 0x80000 : quantize(invert((a) => temperatureDouble(a, calibration).celsius, sampleValue(sources.temperature, now), 0xfffff), osrsT);
    const tFine = temperatureDouble(adcT, calibration).tFine;
    const adcP = osrsP === 0 ? 0x80000 : quantize(invert((a) => pressureDouble(a, tFine, calibration), sampleValue(sources.pressure, now) * 100, 0xfffff), osrsP);
    const adcH = osrsH === 0 ? 0x8000 : invert((a) => humidityDouble(a, tFine, calibration), sampleValue(sources.humidity, now), 0xffff);
    return [adcP >> 12, (adcP >> 4) & 0xff, (adcP & 0x0f) << 4, adcT >> 12, (adcT >> 4) & 0xff, (adcT & 0x0f) << 4, adcH >> 8, adcH & 0xff];
  };

  const latch = (data: number[]): void => regs.set(data, 0xf7);

  const writeRegister = (reg: number, value: number): void => {
    if (reg === 0xe0) {
      if (value === 0xb6) powerOn();
    } else if (reg === 0xf2) regs[0xf2] = value & 0x07;
    else if (reg === 0xf4) {
      regs[0xf4] = value;
      osrsH = regs[0xf2] ?? 0;
      const mode = value & 0x03;
      if (mode === 0x01 || mode === 0x02) {
        pending = measure();
        measuring = busyPolls;
        if (measuring === 0) finishForced();
      }
    } else if (reg === 0xf5) regs[0xf5] = value & 0xfd;
    // everything else is read-only
  };

  const finishForced = (): void => {
    if (pending) latch(pending);
    pending = undefined;
    regs[0xf4] = (regs[0xf4] ?? 0) & 0xfc; // back to sleep
  };

  const readRegister = (reg: number): number => {
    if (reg === 0xf3) {
      const status = (measuring > 0 ? 0x08 : 0) | (nvmCopying > 0 ? 0x01 : 0);
      if (nvmCopying > 0) nvmCopying -= 1;
      if (measuring > 0 && --measuring === 0) finishForced();
      return status;
    }
    return regs[reg] ?? 0;
  };

  powerOn();
  nvmCopying = 0;

  return {
    write(bytes) {
      if (bytes.length === 0) return;
      pointer = bytes[0] ?? 0;
      for (let i = 0; i + 1 < bytes.length; i += 2) writeRegister(bytes[i] ?? 0, bytes[i + 1] ?? 0);
    },
    read(length) {
      // In normal mode the data block holds the latest periodic measurement; a burst sees one.
      if ((regs[0xf4] ?? 0) % 4 === 3 && pointer >= 0xf7 && pointer <= 0xfe) latch(measure());
      return Uint8Array.from({ length }, () => readRegister(pointer++ & 0xff));
    },
    set(values) {
      Object.assign(sources, Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)));
    },
    register: (address) => regs[address] ?? 0,
  };
}

/** The input (0..max) whose output is nearest `target`, for a monotonic `f`. */
function invert(f: (x: number) => number, target: number, max: number): number {
  const rising = f(max) > f(0);
  let lo = 0;
  let hi = max;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (rising ? f(mid) < target : f(mid) > target) lo = mid + 1;
    else hi = mid;
  }
  return lo > 0 && Math.abs(f(lo - 1) - target) <= Math.abs(f(lo) - target) ? lo - 1 : lo;
}
