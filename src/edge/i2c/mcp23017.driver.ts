import type { Logger } from '../../shared/logger.js';
import type { ChannelInfo, ChannelValue, DeviceDriver } from '../driver.js';
import { createDriverSession } from './driverSession.js';
import { I2cDriverConfigError, I2cInvalidWriteError, I2cUnexpectedDeviceError } from './errors.js';
import type { I2cBus } from './i2cBus.js';
import { createI2cDevice } from './i2cDevice.js';
import { driverLogger } from './log.js';
import { MCP23017_PINS, mcp23017PinIndex, type Mcp23017Pin } from './mcp23017.pins.js';

/**
 * MCP23017 (Microchip) 16-bit I/O expander; addresses 0x20–0x27 (A2..A0), register addresses
 * of IOCON.BANK = 0 (the power-up layout). Input pins are sensor channels, output pins
 * actuator channels, named `gpa0`..`gpb7`, valued as booleans (`true` = logic 1, after IPOL).
 * `write()` sets the pin's OLAT bit and returns the GPIO bit read back.
 */
export interface Mcp23017PinConfig {
  mode: 'input' | 'output';
  /** The 100 kΩ pull-up (GPPU), inputs only. */
  pullUp?: boolean;
  /** Report the inverted level (IPOL), inputs only. */
  invert?: boolean;
  /** The level an output starts at. */
  initial?: boolean;
}

export interface Mcp23017Options {
  /** The pins to use; all sixteen as plain inputs by default. */
  pins?: Partial<Record<Mcp23017Pin, Mcp23017PinConfig>>;
  logger?: Logger;
}

// A/B register pairs in BANK = 0: A at the even address, B right after, so a word is A | B << 8.
const IODIR = 0x00;
const IPOL = 0x02;
const IOCON = 0x0a;
const IOCON_MIRROR = 0x0b;
const GPPU = 0x0c;
const GPIO = 0x12;
const OLAT = 0x14;

interface Layout {
  pins: { name: Mcp23017Pin; bit: number; output: boolean }[];
  iodir: number;
  ipol: number;
  gppu: number;
  initial: number;
}

export function createMcp23017Driver(bus: I2cBus, address: number, options: Mcp23017Options = {}): DeviceDriver {
  const layout = plan(options.pins ?? Object.fromEntries(MCP23017_PINS.map((p) => [p, { mode: 'input' }])));
  const device = createI2cDevice(bus, address);
  const logger = driverLogger('mcp23017', address, options.logger);
  // What the outputs should be: set up again after a bus failure, a chip that lost power gets these back.
  let latch = layout.initial;

  const init = async (): Promise<void> => {
    // BANK = 0: IOCON at 0x0A and 0x0B. BANK = 1 (left by other software): IOCON at 0x05 and 0x15,
    // while 0x0A/0x0B are OLATA and nothing, which can read alike; check both places.
    const [iocon, mirror, bank1, bank1Mirror] = [await device.readU8(IOCON), await device.readU8(IOCON_MIRROR), await device.readU8(0x05), await device.readU8(0x15)];
    if (iocon !== mirror || iocon & 0x81 || (bank1 === bank1Mirror && bank1 & 0x80)) {
      throw new I2cUnexpectedDeviceError(address, 'mcp23017', `IOCON does not read as one register in the BANK = 0 layout (0x0A: 0x${iocon.toString(16)}, 0x0B: 0x${mirror.toString(16)}, 0x05: 0x${bank1.toString(16)}, 0x15: 0x${bank1Mirror.toString(16)})`);
    }
    await device.writeU16LE(OLAT, latch); // before IODIR, so outputs come up at their level
    await device.writeU16LE(IPOL, layout.ipol);
    await device.writeU16LE(GPPU, layout.gppu);
    await device.writeU16LE(IODIR, layout.iodir);
    logger.debug({ iodir: layout.iodir, gppu: layout.gppu, ipol: layout.ipol }, 'mcp23017 configured');
  };

  const session = createDriverSession({ driver: 'mcp23017', address, logger, init });
  const outputs = new Map(layout.pins.filter((p) => p.output).map((p) => [p.name as string, p.bit]));

  return {
    driver: 'mcp23017',
    channels: layout.pins.map((p): ChannelInfo => ({ name: p.name, role: p.output ? 'actuator' : 'sensor', type: 'gpio', unit: '' })),
    read: () =>
      session.run(async () => {
        const gpio = await device.readU16LE(GPIO);
        return layout.pins.map((p) => ({ channel: p.name, value: ((gpio >> p.bit) & 1) === 1 }));
      }),
    write: async (channel: string, value: ChannelValue) => {
      const bit = outputs.get(channel);
      if (bit === undefined) {
        throw new I2cInvalidWriteError('mcp23017', channel, mcp23017PinIndex(channel) === undefined ? 'no such pin (gpa0..gpb7)' : 'it is not configured as an output');
      }
      if (typeof value !== 'boolean' && value !== 0 && value !== 1) throw new I2cInvalidWriteError('mcp23017', channel, `the value must be a boolean (or 0/1), not ${JSON.stringify(value)}`);
      const high = value === true || value === 1;
      return session.run(async () => {
        const olat = await device.readU16LE(OLAT);
        const next = high ? olat | (1 << bit) : olat & ~(1 << bit);
        await device.writeU16LE(OLAT, next);
        latch = next;
        return (((await device.readU16LE(GPIO)) >> bit) & 1) === 1;
      });
    },
    close: async () => session.close(),
  };
}

function plan(pins: Partial<Record<string, Mcp23017PinConfig>>): Layout {
  const layout: Layout = { pins: [], iodir: 0xffff, ipol: 0, gppu: 0, initial: 0 };
  for (const [name, config] of Object.entries(pins)) {
    if (config === undefined) continue;
    const bit = mcp23017PinIndex(name);
    if (bit === undefined) throw new I2cDriverConfigError('mcp23017', `unknown pin ${JSON.stringify(name)} (gpa0..gpa7, gpb0..gpb7)`);
    if (config.mode !== 'input' && config.mode !== 'output') throw new I2cDriverConfigError('mcp23017', `pin ${name}: mode must be input or output`);
    const output = config.mode === 'output';
    if (output && (config.pullUp || config.invert)) throw new I2cDriverConfigError('mcp23017', `pin ${name}: pullUp and invert apply to inputs only`);
    if (output) layout.iodir &= ~(1 << bit);
    if (config.pullUp) layout.gppu |= 1 << bit;
    if (config.invert) layout.ipol |= 1 << bit;
    if (output && config.initial) layout.initial |= 1 << bit;
    layout.pins.push({ name: name as Mcp23017Pin, bit, output });
  }
  if (layout.pins.length === 0) throw new I2cDriverConfigError('mcp23017', 'no pins configured');
  layout.pins.sort((a, b) => a.bit - b.bit);
  return layout;
}
