import { describe, expect, it } from 'vitest';
import type { DeviceDriver } from '../driver.js';
import { createBme280Driver, type Bme280Options } from './bme280.driver.js';
import { createBme280Sim, type Bme280SimOptions } from './bme280.sim.js';
import { I2cDriverConfigError, I2cNackError, I2cUnexpectedDeviceError } from './errors.js';
import { createSimulatedI2cBus } from './simulatedI2cBus.js';

function setup(sim: Bme280SimOptions = {}, options: Bme280Options = {}, address = 0x76) {
  const bus = createSimulatedI2cBus();
  const chip = createBme280Sim(sim);
  bus.attach(address, chip);
  return { bus, chip, driver: createBme280Driver(bus, address, options) };
}

async function values(driver: DeviceDriver): Promise<Record<string, number>> {
  return Object.fromEntries((await driver.read()).map((r) => [r.channel, r.value as number]));
}

describe('BME280 driver against the simulated chip', () => {
  it.each([
    { temperature: 21.5, pressure: 1013.25, humidity: 45 },
    { temperature: -10.2, pressure: 950.4, humidity: 80.5 },
    { temperature: 38.7, pressure: 1050, humidity: 12 },
  ])('reads back %o within the x1 resolution', async (set) => {
    const { driver } = setup(set);
    const got = await values(driver);
    // x1 oversampling: 16-bit T and P (≈0.005 °C, ≈2.6 Pa per step); H is 16-bit (≈0.008 %RH).
    expect(Math.abs(got.temperature! - set.temperature)).toBeLessThanOrEqual(0.01);
    expect(Math.abs(got.pressure! - set.pressure)).toBeLessThanOrEqual(0.03);
    expect(Math.abs(got.humidity! - set.humidity)).toBeLessThanOrEqual(0.02);
  });

  it('resolves finer with x16 oversampling', async () => {
    const set = { temperature: 23.456, pressure: 1001.234, humidity: 55.55 };
    const { driver, chip } = setup(set, { oversampling: { temperature: 16, pressure: 16, humidity: 16 } });
    const got = await values(driver);
    expect(chip.register(0xf2)).toBe(0b101);
    expect(chip.register(0xf4) >> 2).toBe(0b101101);
    expect(Math.abs(got.temperature! - set.temperature)).toBeLessThanOrEqual(0.01);
    expect(Math.abs(got.pressure! - set.pressure)).toBeLessThanOrEqual(0.005);
  });

  it('measures in forced mode: the chip sleeps again after each read and follows its source', async () => {
    let t = 20;
    const { driver, chip } = setup({ temperature: () => t, busyPolls: 3 });
    expect((await values(driver)).temperature).toBeCloseTo(20, 1);
    expect(chip.register(0xf4) & 0x03).toBe(0);
    t = -5.5;
    expect((await values(driver)).temperature).toBeCloseTo(-5.5, 1);
  });

  it('runs in normal mode with the IIR filter and standby in config', async () => {
    const { driver, chip } = setup({ temperature: 30 }, { mode: 'normal', filter: 4, standbyMs: 125 });
    expect((await values(driver)).temperature).toBeCloseTo(30, 2);
    expect(chip.register(0xf4) & 0x03).toBe(0x03);
    expect(chip.register(0xf5)).toBe((0b010 << 5) | (0b010 << 2));
  });

  it('refuses a chip whose id is not 0x60 (a BMP280 at 0x77)', async () => {
    const { driver } = setup({ chipId: 0x58 }, {}, 0x77);
    const err = await driver.read().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(I2cUnexpectedDeviceError);
    expect((err as Error).message).toMatch(/0x77.*BMP280/);
  });

  it('raises a typed NACK naming the address when a read is cut off mid-way, then recovers', async () => {
    const { bus, driver } = setup({ temperature: 22 });
    await driver.read();
    bus.injectNack({ address: 0x76, after: 2 }); // trigger and first status poll pass; the rest fails
    const err = await driver.read().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(I2cNackError);
    expect((err as I2cNackError).address).toBe(0x76);
    expect((err as Error).message).toContain('0x76');
    expect((await values(driver)).temperature).toBeCloseTo(22, 1);
  });

  it('raises a typed NACK when nothing is at the address', async () => {
    const bus = createSimulatedI2cBus();
    await expect(createBme280Driver(bus, 0x77).read()).rejects.toMatchObject({ code: 'ERR_I2C_NACK', details: { address: 0x77 } });
  });

  it('refuses bad options when created', () => {
    const bus = createSimulatedI2cBus();
    expect(() => createBme280Driver(bus, 0x76, { oversampling: { pressure: 3 as 2 } })).toThrow(I2cDriverConfigError);
    expect(() => createBme280Driver(bus, 0x76, { filter: 5 as 4 })).toThrow(/filter/);
  });
});
