import type { Logger } from '../../shared/logger.js';
import { BME280_CHIP_ID } from './bme280.driver.js';
import { I2cScanError, formatI2cAddress } from './errors.js';
import type { I2cBus } from './i2cBus.js';
import { createI2cDevice, type I2cDevice } from './i2cDevice.js';
import { driverLogger } from './log.js';

export type I2cDriverName = 'tmp102' | 'bme280' | 'ads1115' | 'pca9685' | 'mcp23017';

export interface I2cScanResult {
  address: number;
  driver: I2cDriverName;
}

const PCA9685_ALL_CALL = 0x70;

/**
 * Finds the supported chips on a bus: the addresses that acknowledge a probe (i2c-bus's scan,
 * receive-byte, 0x20..0x77), then, at the addresses each chip can have, its register signature:
 *
 * - BME280 (0x76/0x77): chip id 0x60 at 0xD0.
 * - TMP102 and ADS1115 share 0x48–0x4B; register 1 tells them apart. The ADS1115's config resets
 *   to 0x8583 and keeps COMP_QUE = 11 (comparator off) as this driver leaves it; the TMP102's
 *   config always reads R1:R0 = 11 and bits 3:0 = 0, and bit 0 of its temperature register
 *   matches EM.
 * - MCP23017 (0x20–0x27): IOCON reads the same at 0x0A and 0x0B (BANK = 0), or at 0x05 and 0x15
 *   with BANK set.
 * - PCA9685 (0x40–0x77 not claimed above; 0x70 is skipped, it is every PCA9685's All Call
 *   address at power-up): reserved bits of MODE2, ALLCALLADR, LED0_ON_H/OFF_H read 0, PRE_SCALE ≥ 3.
 *
 * A register read writes a pointer byte first, which chips without registers (a PCF8574 port
 * expander at 0x20–0x27) take as data; scan buses whose other occupants you know. Nothing is
 * written otherwise. An address that stops answering mid-way is reported as unidentified, not
 * as an error; only a failure of the bus itself throws.
 */
export async function scanI2cBus(bus: I2cBus, opts: { logger?: Logger } = {}): Promise<I2cScanResult[]> {
  const logger = driverLogger('scan', undefined, opts.logger);
  let present: number[];
  try {
    present = await bus.scan(0x20, 0x77);
  } catch (e) {
    throw new I2cScanError(e);
  }
  const found: I2cScanResult[] = [];
  for (const address of present) {
    const driver = await identify(createI2cDevice(bus, address));
    if (driver) found.push({ address, driver });
    else logger.info({ at: formatI2cAddress(address) }, 'a device answers but is not one the I2C drivers support');
  }
  return found;
}

async function identify(device: I2cDevice): Promise<I2cDriverName | undefined> {
  const a = device.address;
  if ((a === 0x76 || a === 0x77) && (await check(() => isBme280(device)))) return 'bme280';
  if (a >= 0x48 && a <= 0x4b) {
    const kind = await check(() => tmp102OrAds1115(device));
    if (kind) return kind;
  }
  if (a >= 0x20 && a <= 0x27 && (await check(() => isMcp23017(device)))) return 'mcp23017';
  if (a >= 0x40 && a !== PCA9685_ALL_CALL && (await check(() => isPca9685(device)))) return 'pca9685';
  return undefined;
}

/** A register a chip does not have may NACK; that only means "not this chip". */
async function check<T>(probe: () => Promise<T>): Promise<T | undefined> {
  try {
    return await probe();
  } catch {
    return undefined;
  }
}

async function isBme280(device: I2cDevice): Promise<boolean> {
  return (await device.readU8(0xd0)) === BME280_CHIP_ID;
}

async function tmp102OrAds1115(device: I2cDevice): Promise<'tmp102' | 'ads1115' | undefined> {
  const config = await device.readU16BE(0x01);
  if (config === 0x8583) return 'ads1115';
  if ((config & 0x6000) === 0x6000 && (config & 0x000f) === 0) {
    const temperature = await device.readU16BE(0x00);
    const extended = (config & 0x0010) !== 0;
    if (extended ? (temperature & 0x0007) === 1 : (temperature & 0x000f) === 0) return 'tmp102';
  }
  return (config & 0x0003) === 0x0003 ? 'ads1115' : undefined;
}

async function isMcp23017(device: I2cDevice): Promise<boolean> {
  const [iocon, mirror] = [await device.readU8(0x0a), await device.readU8(0x0b)];
  if (iocon === mirror && (iocon & 0x81) === 0) return true;
  const [bank1, bank1Mirror] = [await device.readU8(0x05), await device.readU8(0x15)];
  return bank1 === bank1Mirror && (bank1 & 0x81) === 0x80;
}

async function isPca9685(device: I2cDevice): Promise<boolean> {
  const mode2 = await device.readU8(0x01);
  const allCall = await device.readU8(0x05);
  const led0OnH = await device.readU8(0x07);
  const led0OffH = await device.readU8(0x09);
  const prescale = await device.readU8(0xfe);
  return (mode2 & 0xe0) === 0 && (allCall & 0x01) === 0 && (led0OnH & 0xe0) === 0 && (led0OffH & 0xe0) === 0 && prescale >= 3;
}
