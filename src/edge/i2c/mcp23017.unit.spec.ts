import { describe, expect, it } from 'vitest';
import type { DeviceDriver } from '../driver.js';
import { I2cDriverConfigError, I2cInvalidWriteError, I2cNackError, I2cUnexpectedDeviceError } from './errors.js';
import { createMcp23017Driver, type Mcp23017Options } from './mcp23017.driver.js';
import { createMcp23017Sim } from './mcp23017.sim.js';
import { createSimulatedI2cBus } from './simulatedI2cBus.js';

function setup(options: Mcp23017Options = {}) {
  const bus = createSimulatedI2cBus();
  const chip = createMcp23017Sim();
  bus.attach(0x20, chip);
  return { bus, chip, driver: createMcp23017Driver(bus, 0x20, options) };
}

async function values(driver: DeviceDriver): Promise<Record<string, unknown>> {
  return Object.fromEntries((await driver.read()).map((r) => [r.channel, r.value]));
}

const mixed: Mcp23017Options = {
  pins: {
    gpa0: { mode: 'input' },
    gpa1: { mode: 'input', pullUp: true },
    gpa2: { mode: 'input', invert: true },
    gpb3: { mode: 'input' },
    gpa7: { mode: 'output' },
    gpb0: { mode: 'output', initial: true },
  },
};

describe('MCP23017 driver against the simulated chip', () => {
  it('makes inputs sensor channels and outputs actuator channels', () => {
    const { driver } = setup(mixed);
    expect(driver.channels.map((c) => `${c.name}:${c.role}`)).toEqual(['gpa0:sensor', 'gpa1:sensor', 'gpa2:sensor', 'gpa7:actuator', 'gpb0:actuator', 'gpb3:sensor']);
  });

  it('configures IODIR, GPPU, IPOL and the initial outputs (A low byte, B high byte)', async () => {
    const { chip, driver } = setup(mixed);
    await driver.read();
    expect(chip.register(0x00)).toBe(0x7f); // IODIRA: gpa7 output
    expect(chip.register(0x01)).toBe(0xfe); // IODIRB: gpb0 output
    expect(chip.register(0x0c)).toBe(0x02); // GPPUA: gpa1
    expect(chip.register(0x02)).toBe(0x04); // IPOLA: gpa2
    expect(chip.register(0x15)).toBe(0x01); // OLATB: gpb0 starts high
    expect(chip.level('gpb0')).toBe(true);
  });

  it('reads input levels: driven, pulled up, floating, and inverted', async () => {
    const { chip, driver } = setup(mixed);
    chip.setInput('gpa0', true);
    chip.setInput('gpb3', true);
    let got = await values(driver);
    expect(got).toMatchObject({ gpa0: true, gpa1: true, gpa2: true, gpb3: true });
    chip.setInput('gpa1', false);
    chip.setInput('gpa2', true);
    chip.setInput('gpb3', false);
    got = await values(driver);
    expect(got).toMatchObject({ gpa0: true, gpa1: false, gpa2: false, gpb3: false });
  });

  it('writes an output through OLAT and returns the level read back from GPIO', async () => {
    const { chip, driver } = setup(mixed);
    expect(await driver.write!('gpa7', true)).toBe(true);
    expect(chip.level('gpa7')).toBe(true);
    expect(chip.register(0x14)).toBe(0x80);
    expect(await driver.write!('gpb0', false)).toBe(false);
    expect(chip.level('gpb0')).toBe(false);
    expect(chip.register(0x14)).toBe(0x80); // the other port's latch untouched
    expect(await driver.write!('gpa7', 0)).toBe(false);
    expect((await values(driver)).gpa7).toBe(false);
  });

  it('follows inputs given as a function of time', async () => {
    let on = false;
    const bus = createSimulatedI2cBus();
    bus.attach(0x27, createMcp23017Sim({ inputs: () => ({ gpb7: on }) }));
    const driver = createMcp23017Driver(bus, 0x27, { pins: { gpb7: { mode: 'input' } } });
    expect(await values(driver)).toEqual({ gpb7: false });
    on = true;
    expect(await values(driver)).toEqual({ gpb7: true });
  });

  it('uses all sixteen pins as inputs by default', async () => {
    const { chip, driver } = setup();
    chip.setInput('gpb6', true);
    const got = await values(driver);
    expect(Object.keys(got)).toHaveLength(16);
    expect(Object.entries(got).filter(([, v]) => v === true)).toEqual([['gpb6', true]]);
  });

  it('refuses writes to inputs, unknown pins and non-boolean values', async () => {
    const { driver } = setup(mixed);
    await expect(driver.write!('gpa0', true)).rejects.toThrow(/not configured as an output/);
    await expect(driver.write!('gpc1', true)).rejects.toThrow(/no such pin/);
    await expect(driver.write!('gpa7', 0.5)).rejects.toBeInstanceOf(I2cInvalidWriteError);
  });

  it('refuses bad pin configurations when created', () => {
    const bus = createSimulatedI2cBus();
    expect(() => createMcp23017Driver(bus, 0x20, { pins: { gpa8: { mode: 'input' } } as never })).toThrow(I2cDriverConfigError);
    expect(() => createMcp23017Driver(bus, 0x20, { pins: { gpa0: { mode: 'output', pullUp: true } } })).toThrow(/inputs only/);
    expect(() => createMcp23017Driver(bus, 0x20, { pins: {} })).toThrow(/no pins/);
  });

  it('refuses a chip not in the BANK = 0 layout, and NACKs name the address', async () => {
    const { bus, driver } = setup(mixed);
    await bus.writeByte(0x20, 0x0a, 0x80); // IOCON.BANK = 1
    await expect(driver.read()).rejects.toBeInstanceOf(I2cUnexpectedDeviceError);
    const err = await createMcp23017Driver(bus, 0x21).read().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(I2cNackError);
    expect((err as Error).message).toContain('0x21');
  });

  it('keeps the commanded outputs when it sets the chip up again after a bus failure', async () => {
    const { bus, chip, driver } = setup(mixed);
    await driver.write!('gpa7', true);
    bus.injectNack({ address: 0x20 });
    await expect(driver.read()).rejects.toBeInstanceOf(I2cNackError);
    await values(driver);
    expect(chip.level('gpa7')).toBe(true);
  });

  it('simulates the pointer modes: sequential across A/B, and the BANK = 1 map', async () => {
    const { bus, chip } = setup();
    await bus.writeI2cBlock(0x20, 0x14, 2, Buffer.from([0x12, 0x34])); // OLATA, OLATB
    expect([chip.register(0x14), chip.register(0x15)]).toEqual([0x12, 0x34]);
    await bus.writeByte(0x20, 0x0b, 0xa0); // IOCON (via its mirror): BANK = 1, SEQOP = 1
    expect(await bus.readByte(0x20, 0x05)).toBe(0xa0); // IOCON is at 0x05 in BANK = 1
    expect(await bus.readByte(0x20, 0x1a)).toBe(0x34); // OLATB
  });
});
