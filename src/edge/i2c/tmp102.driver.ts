import type { Logger } from '../../shared/logger.js';
import type { ChannelInfo, DeviceDriver } from '../driver.js';
import { createDriverSession } from './driverSession.js';
import { I2cDriverConfigError } from './errors.js';
import type { I2cBus } from './i2cBus.js';
import { createI2cDevice } from './i2cDevice.js';
import { driverLogger } from './log.js';

/** TMP102 (TI SBOS397) digital temperature sensor; addresses 0x48–0x4B (ADD0). */
export interface Tmp102Options {
  /** 13-bit extended mode: −55 to 150 °C instead of up to 128 °C; same 0.0625 °C resolution. */
  extendedMode?: boolean;
  /** Continuous conversion rate (CR1:CR0); the power-up rate is 4 Hz. */
  conversionRateHz?: 0.25 | 1 | 4 | 8;
  logger?: Logger;
}

const REG_TEMPERATURE = 0x00;
const REG_CONFIG = 0x01;
const EM = 0x0010;
const SD = 0x0100;
const OS = 0x8000;
const CR_MASK = 0x00c0;
const CR_BITS: Record<number, number> = { 0.25: 0x0000, 1: 0x0040, 4: 0x0080, 8: 0x00c0 };
const CELSIUS_PER_LSB = 0.0625;

const CHANNELS: readonly ChannelInfo[] = [{ name: 'temperature', role: 'sensor', type: 'temperature', unit: '°C' }];

/** The temperature in a register word; bit 0 says which layout the last conversion used. */
export function decodeTmp102Temperature(word: number): number {
  const extended = (word & 0x0001) !== 0;
  return ((word << 16) >> (extended ? 19 : 20)) * CELSIUS_PER_LSB;
}

export function createTmp102Driver(bus: I2cBus, address: number, options: Tmp102Options = {}): DeviceDriver {
  const rate = options.conversionRateHz ?? 4;
  const crBits = CR_BITS[rate];
  if (crBits === undefined) throw new I2cDriverConfigError('tmp102', `conversionRateHz must be 0.25, 1, 4 or 8, not ${String(rate)}`);
  const device = createI2cDevice(bus, address);
  const logger = driverLogger('tmp102', address, options.logger);

  const session = createDriverSession({
    driver: 'tmp102',
    address,
    logger,
    init: async () => {
      // Keep the thermostat bits (TM, POL, F1:F0) as configured; continuous conversion, our EM and rate.
      const config = await device.readU16BE(REG_CONFIG);
      const wanted = (config & ~(OS | SD | EM | CR_MASK)) | crBits | (options.extendedMode ? EM : 0);
      await device.writeU16BE(REG_CONFIG, wanted);
      logger.debug({ config: wanted }, 'tmp102 configured');
    },
  });

  return {
    driver: 'tmp102',
    channels: CHANNELS,
    read: () => session.run(async () => [{ channel: 'temperature', value: decodeTmp102Temperature(await device.readU16BE(REG_TEMPERATURE)) }]),
    close: async () => session.close(),
  };
}
