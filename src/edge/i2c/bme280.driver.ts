import type { Logger } from '../../shared/logger.js';
import type { ChannelInfo, DeviceDriver } from '../driver.js';
import { BME280_CALIB1_LENGTH, BME280_CALIB1_START, BME280_CALIB2_LENGTH, BME280_CALIB2_START, parseBme280Calibration, type Bme280Calibration } from './bme280.calibration.js';
import { compensateHumidity, compensatePressure, compensateTemperature } from './bme280.compensate.js';
import { createDriverSession } from './driverSession.js';
import { I2cDriverConfigError, I2cNotReadyError, I2cUnexpectedDeviceError, formatI2cAddress } from './errors.js';
import type { I2cBus } from './i2cBus.js';
import { createI2cDevice } from './i2cDevice.js';
import { driverLogger } from './log.js';
import { pollUntil, sleep } from './poll.js';

/** BME280 (Bosch BST-BME280-DS002) temperature, pressure and humidity; addresses 0x76/0x77 (SDO). */
export interface Bme280Options {
  oversampling?: { temperature?: Oversampling; pressure?: Oversampling; humidity?: Oversampling };
  /** `forced` (default): one measurement per read, asleep in between. `normal`: periodic. */
  mode?: 'forced' | 'normal';
  /** IIR filter coefficient (off by default). */
  filter?: 0 | 2 | 4 | 8 | 16;
  /** Normal mode's standby between measurements (t_sb). */
  standbyMs?: 0.5 | 10 | 20 | 62.5 | 125 | 250 | 500 | 1000;
  logger?: Logger;
}

type Oversampling = 1 | 2 | 4 | 8 | 16;

export const BME280_CHIP_ID = 0x60;
const REG_ID = 0xd0;
const REG_RESET = 0xe0;
const RESET_WORD = 0xb6;
const REG_CTRL_HUM = 0xf2;
const REG_STATUS = 0xf3;
const REG_CTRL_MEAS = 0xf4;
const REG_CONFIG = 0xf5;
const REG_DATA = 0xf7;
const STATUS_MEASURING = 0x08;
const STATUS_IM_UPDATE = 0x01;
const OSRS: Record<number, number> = { 1: 1, 2: 2, 4: 3, 8: 4, 16: 5 };
const FILTER: Record<number, number> = { 0: 0, 2: 1, 4: 2, 8: 3, 16: 4 };
const STANDBY: Record<number, number> = { 0.5: 0, 62.5: 1, 125: 2, 250: 3, 500: 4, 1000: 5, 10: 6, 20: 7 };

const CHANNELS: readonly ChannelInfo[] = [
  { name: 'temperature', role: 'sensor', type: 'temperature', unit: '°C' },
  { name: 'pressure', role: 'sensor', type: 'pressure', unit: 'hPa' },
  { name: 'humidity', role: 'sensor', type: 'humidity', unit: '%RH' },
];

export function createBme280Driver(bus: I2cBus, address: number, options: Bme280Options = {}): DeviceDriver {
  const osrs = (what: 'temperature' | 'pressure' | 'humidity'): number => code(OSRS, options.oversampling?.[what] ?? 1, `oversampling.${what}`, '1, 2, 4, 8 or 16');
  const osrsT = osrs('temperature');
  const osrsP = osrs('pressure');
  const osrsH = osrs('humidity');
  const filter = code(FILTER, options.filter ?? 0, 'filter', '0, 2, 4, 8 or 16');
  const standby = code(STANDBY, options.standbyMs ?? 1000, 'standbyMs', '0.5, 10, 20, 62.5, 125, 250, 500 or 1000');
  const mode = options.mode ?? 'forced';
  if (mode !== 'forced' && mode !== 'normal') throw new I2cDriverConfigError('bme280', `mode must be forced or normal, not ${String(mode)}`);
  const ctrlMeas = (osrsT << 5) | (osrsP << 2);
  // Datasheet appendix B: the longest a measurement takes with these oversampling settings.
  const factor = (c: number): number => 2 ** (c - 1);
  const maxMeasureMs = 1.25 + 2.3 * factor(osrsT) + (2.3 * factor(osrsP) + 0.575) + (2.3 * factor(osrsH) + 0.575);

  const device = createI2cDevice(bus, address);
  const logger = driverLogger('bme280', address, options.logger);
  let calibration: Bme280Calibration | undefined;

  const init = async (): Promise<void> => {
    const id = await device.readU8(REG_ID);
    if (id !== BME280_CHIP_ID) {
      throw new I2cUnexpectedDeviceError(address, 'bme280', id === 0x58 ? 'chip id 0x58 is a BMP280 (no humidity sensor)' : `chip id ${formatI2cAddress(id)}, expected 0x60`);
    }
    await device.writeU8(REG_RESET, RESET_WORD);
    await sleep(2); // start-up time
    const copied = await pollUntil(async () => ((await device.readU8(REG_STATUS)) & STATUS_IM_UPDATE) === 0, { timeoutMs: 50 });
    if (!copied) throw new I2cNotReadyError(address, 'bme280', 'the trimming parameters were still being copied from NVM 50 ms after reset');
    calibration = parseBme280Calibration(await device.readBlock(BME280_CALIB1_START, BME280_CALIB1_LENGTH), await device.readBlock(BME280_CALIB2_START, BME280_CALIB2_LENGTH));
    // config is only reliably written in sleep mode (as after reset); ctrl_hum takes effect with ctrl_meas.
    await device.writeU8(REG_CONFIG, (standby << 5) | (filter << 2));
    await device.writeU8(REG_CTRL_HUM, osrsH);
    await device.writeU8(REG_CTRL_MEAS, ctrlMeas | (mode === 'normal' ? 0b11 : 0b00));
    if (mode === 'normal') await sleep(Math.ceil(maxMeasureMs)); // until then the data block holds the reset pattern
    logger.debug({ calibration }, 'bme280 configured');
  };

  const measure = async (): Promise<Buffer> => {
    if (mode === 'forced') {
      await device.writeU8(REG_CTRL_MEAS, ctrlMeas | 0b01);
      await sleep(Math.ceil(maxMeasureMs));
      const done = await pollUntil(async () => ((await device.readU8(REG_STATUS)) & STATUS_MEASURING) === 0, { timeoutMs: 5 * maxMeasureMs });
      if (!done) throw new I2cNotReadyError(address, 'bme280', `the measurement did not finish within ${Math.ceil(6 * maxMeasureMs)} ms`);
    }
    return device.readBlock(REG_DATA, 8); // one burst, so the three values come from one measurement
  };

  const session = createDriverSession({ driver: 'bme280', address, logger, init });

  return {
    driver: 'bme280',
    channels: CHANNELS,
    read: () =>
      session.run(async () => {
        const data = await measure();
        const adcP = (data.readUInt8(0) << 12) | (data.readUInt8(1) << 4) | (data.readUInt8(2) >> 4);
        const adcT = (data.readUInt8(3) << 12) | (data.readUInt8(4) << 4) | (data.readUInt8(5) >> 4);
        const adcH = data.readUInt16BE(6);
        // 0x80000 is the reset/skipped pattern: it would compensate to a plausible but false value.
        if (adcT === 0x80000 || adcP === 0x80000 || adcH === 0x8000) throw new I2cNotReadyError(address, 'bme280', 'the data registers hold no measurement (reset pattern)');
        const c = calibration as Bme280Calibration;
        const { centiCelsius, tFine } = compensateTemperature(adcT, c);
        return [
          { channel: 'temperature', value: centiCelsius / 100 },
          { channel: 'pressure', value: compensatePressure(adcP, tFine, c) / 25600 },
          { channel: 'humidity', value: compensateHumidity(adcH, tFine, c) / 1024 },
        ];
      }),
    close: async () => session.close(),
  };
}

function code(table: Record<number, number>, value: number, option: string, allowed: string): number {
  const c = table[value];
  if (c === undefined) throw new I2cDriverConfigError('bme280', `${option} must be ${allowed}, not ${String(value)}`);
  return c;
}
