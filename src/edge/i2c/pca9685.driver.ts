import type { Logger } from '../../shared/logger.js';
import type { ChannelInfo, ChannelValue, DeviceDriver, Reading } from '../driver.js';
import { createDriverSession } from './driverSession.js';
import { I2cDriverConfigError, I2cInvalidWriteError, I2cUnexpectedDeviceError } from './errors.js';
import type { I2cBus } from './i2cBus.js';
import { createI2cDevice } from './i2cDevice.js';
import { driverLogger } from './log.js';
import { sleep } from './poll.js';

/**
 * PCA9685 (NXP) 16-channel 12-bit PWM; addresses 0x40–0x7F (A5..A0; 0x70 is its All Call
 * address at power-up). Channels `ch0`..`ch15` are actuators whose value is the duty cycle as a
 * fraction 0..1 (booleans mean 0/1), in steps of 1/4096; 0 and 1 use the full-off/full-on bits.
 * `write()` returns the duty read back from the LEDn registers. INVRT inverts the pins, not the
 * values.
 */
export interface Pca9685Options {
  /** PWM frequency; 1000 Hz by default (LEDs, fans). Servos want 50. */
  frequencyHz?: number;
  /** 25 MHz internal oscillator, or the EXTCLK frequency. */
  oscillatorHz?: number;
  /** MODE2 OUTDRV: totem-pole (default, as after power-up) or open-drain outputs. */
  outputDrive?: 'totem-pole' | 'open-drain';
  /** MODE2 INVRT: inverted output logic (e.g. LEDs driven from their cathodes without a driver). */
  invert?: boolean;
  logger?: Logger;
}

const MODE1 = 0x00;
const MODE2 = 0x01;
const LED0_ON_L = 0x06;
const PRE_SCALE = 0xfe;
const RESTART = 0x80;
const AI = 0x20;
const SLEEP = 0x10;
const INVRT = 0x10;
const OUTDRV = 0x04;
const FULL = 0x10; // bit 4 of LEDn_ON_H / LEDn_OFF_H

const CHANNELS: readonly ChannelInfo[] = Array.from({ length: 16 }, (_, n) => ({ name: `ch${n}`, role: 'actuator', type: 'pwm', unit: '' }));

/** Datasheet §7.3.5: prescale = round(osc_clock / (4096 × update_rate)) − 1. */
export function pca9685Prescale(frequencyHz: number, oscillatorHz = 25_000_000): number {
  return Math.round(oscillatorHz / (4096 * frequencyHz)) - 1;
}

export function encodePca9685Duty(duty: number): Uint8Array {
  const count = Math.round(duty * 4096);
  if (count <= 0) return Uint8Array.of(0, 0, 0, FULL);
  if (count >= 4096) return Uint8Array.of(0, FULL, 0, 0);
  return Uint8Array.of(0, 0, count & 0xff, count >> 8); // on at 0, off at `count`
}

export function decodePca9685Duty(bytes: Uint8Array): number {
  const [onL = 0, onH = 0, offL = 0, offH = 0] = bytes;
  if (offH & FULL) return 0; // full off takes precedence
  if (onH & FULL) return 1;
  const on = ((onH & 0x0f) << 8) | onL;
  const off = ((offH & 0x0f) << 8) | offL;
  return on === off ? 0 : ((off - on + 4096) % 4096) / 4096;
}

export function createPca9685Driver(bus: I2cBus, address: number, options: Pca9685Options = {}): DeviceDriver {
  const frequencyHz = options.frequencyHz ?? 1000;
  const oscillatorHz = options.oscillatorHz ?? 25_000_000;
  const prescale = pca9685Prescale(frequencyHz, oscillatorHz);
  if (!Number.isFinite(prescale) || prescale < 3 || prescale > 255) {
    const [lo, hi] = [oscillatorHz / (4096 * 256), oscillatorHz / (4096 * 4)].map((f) => f.toFixed(0));
    throw new I2cDriverConfigError('pca9685', `frequencyHz ${frequencyHz} is outside ${lo}…${hi} Hz (prescale 3…255)`, { frequencyHz, prescale });
  }
  const drive = options.outputDrive ?? 'totem-pole';
  if (drive !== 'totem-pole' && drive !== 'open-drain') throw new I2cDriverConfigError('pca9685', `outputDrive must be totem-pole or open-drain, not ${String(drive)}`);
  const mode2 = (options.invert ? INVRT : 0) | (drive === 'totem-pole' ? OUTDRV : 0);
  const device = createI2cDevice(bus, address);
  const logger = driverLogger('pca9685', address, options.logger);

  const init = async (): Promise<void> => {
    const mode1 = await device.readU8(MODE1);
    const asleep = (mode1 & ~RESTART) | SLEEP; // PRE_SCALE only takes writes while SLEEP is set
    await device.writeU8(MODE1, asleep);
    await device.writeU8(PRE_SCALE, prescale);
    await device.writeU8(MODE2, mode2);
    await device.writeU8(MODE1, (asleep & ~SLEEP) | AI);
    await sleep(1); // the oscillator needs 500 µs after SLEEP clears
    const awake = await device.readU8(MODE1);
    if (awake & RESTART) await device.writeU8(MODE1, awake | RESTART); // resume the outputs as they were (§7.3.1.1)
    const stored = await device.readU8(PRE_SCALE);
    if (stored !== prescale) throw new I2cUnexpectedDeviceError(address, 'pca9685', `PRE_SCALE reads ${stored} after writing ${prescale}`);
    logger.debug({ prescale, requestedHz: frequencyHz, frequencyHz: oscillatorHz / (4096 * (prescale + 1)) }, 'pca9685 configured');
  };

  const session = createDriverSession({ driver: 'pca9685', address, logger, init });
  const base = (channel: number): number => LED0_ON_L + 4 * channel;

  return {
    driver: 'pca9685',
    channels: CHANNELS,
    read: () =>
      session.run(async () => {
        const readings: Reading[] = [];
        for (const first of [0, 8]) {
          const block = await device.readBlock(base(first), 32); // 8 channels × 4 registers, auto-increment
          for (let i = 0; i < 8; i += 1) readings.push({ channel: `ch${first + i}`, value: decodePca9685Duty(block.subarray(4 * i, 4 * i + 4)) });
        }
        return readings;
      }),
    write: async (channel: string, value: ChannelValue) => {
      const n = channelNumber(channel);
      const duty = dutyOf(channel, value);
      return session.run(async () => {
        await device.writeBlock(base(n), encodePca9685Duty(duty));
        return decodePca9685Duty(await device.readBlock(base(n), 4));
      });
    },
    close: async () => session.close(),
  };
}

function channelNumber(channel: string): number {
  const match = /^ch(\d{1,2})$/.exec(channel);
  const n = match ? Number(match[1]) : NaN;
  if (!(n >= 0 && n <= 15)) throw new I2cInvalidWriteError('pca9685', channel, 'the channels are ch0..ch15');
  return n;
}

function dutyOf(channel: string, value: ChannelValue): number {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) throw new I2cInvalidWriteError('pca9685', channel, `the duty cycle must be a number from 0 to 1, not ${JSON.stringify(value)}`);
  return value;
}
