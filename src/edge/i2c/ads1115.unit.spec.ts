import { describe, expect, it } from 'vitest';
import type { DeviceDriver } from '../driver.js';
import { createAds1115Driver, type Ads1115Options } from './ads1115.driver.js';
import { createAds1115Sim, type Ads1115SimOptions } from './ads1115.sim.js';
import { I2cDriverConfigError, I2cNackError, I2cNotReadyError } from './errors.js';
import { createSimulatedI2cBus } from './simulatedI2cBus.js';

function setup(sim: Ads1115SimOptions, options: Ads1115Options = {}) {
  const bus = createSimulatedI2cBus();
  const chip = createAds1115Sim(sim);
  bus.attach(0x49, chip);
  return { bus, chip, driver: createAds1115Driver(bus, 0x49, { dataRate: 860, ...options }) };
}

async function values(driver: DeviceDriver): Promise<Record<string, number>> {
  return Object.fromEntries((await driver.read()).map((r) => [r.channel, r.value as number]));
}

describe('ADS1115 driver against the simulated chip', () => {
  it('converts the four single-ended inputs at ±4.096 V within one LSB (125 µV)', async () => {
    const { driver } = setup({ voltages: [0, 1.234, 3.3, 0.0005] });
    const got = await values(driver);
    expect(Object.keys(got)).toEqual(['ain0', 'ain1', 'ain2', 'ain3']);
    const lsb = 4.096 / 32768;
    expect(lsb).toBe(0.000125);
    [0, 1.234, 3.3, 0.0005].forEach((v, i) => expect(Math.abs(got[`ain${i}`]! - v)).toBeLessThanOrEqual(lsb / 2));
  });

  it.each([
    [6.144, 5.0],
    [2.048, 1.5],
    [1.024, 0.75],
    [0.512, 0.3],
    [0.256, 0.1],
  ] as const)('honours the PGA: ±%s V full scale reads %s V within its LSB', async (fullScale, volts) => {
    const { driver, chip } = setup({ voltages: [volts] }, { inputs: [{ mux: 'ain0', fullScale }] });
    const got = (await values(driver)).ain0!;
    expect(Math.abs(got - volts)).toBeLessThanOrEqual(fullScale / 32768 / 2);
    const pga = (chip.register(1) >> 9) & 0x07;
    expect([6.144, 4.096, 2.048, 1.024, 0.512, 0.256][pga]).toBe(fullScale);
  });

  it('clips at the full scale: a 3 V input at ±2.048 V reads 32767 codes', async () => {
    const { driver, chip } = setup({ voltages: [3] }, { inputs: [{ mux: 'ain0', fullScale: 2.048 }] });
    expect((await values(driver)).ain0).toBeCloseTo((32767 * 2.048) / 32768, 9);
    expect(chip.register(0)).toBe(0x7fff);
  });

  it('reads differential pairs as signed values', async () => {
    const { driver, chip } = setup({ voltages: [1.0, 1.5, 0, 2.0] }, { inputs: [{ mux: 'ain0-ain1', name: 'bridge' }, { mux: 'ain1-ain3' }] });
    const got = await values(driver);
    expect(got.bridge).toBeCloseTo(-0.5, 3);
    expect(got['ain1-ain3']).toBeCloseTo(-0.5, 3);
    expect(chip.register(0) & 0x8000).toBe(0x8000); // negative in two's complement
  });

  it('writes a single-shot config per the datasheet layout and polls OS until the conversion is done', async () => {
    const { driver, chip } = setup({ voltages: [0, 0, 0, 2.5], busyPolls: 4 }, { dataRate: 860, inputs: [{ mux: 'ain3', fullScale: 4.096 }] });
    expect((await values(driver)).ain3).toBeCloseTo(2.5, 3);
    // OS(1) MUX=111 PGA=001 MODE=1 | DR=111 COMP_QUE=11, and OS reads 1 again when done.
    expect(chip.register(1)).toBe(0b1111_0011_1110_0011);
    expect(chip.conversions).toBe(1);
  });

  it('waits out a conversion left running (which would ignore its start) before converting its own input', async () => {
    const { bus, driver } = setup({ voltages: [0.5, 0, 0, 3.0], busyPolls: 1_000_000 }, { inputs: [{ mux: 'ain0' }] });
    // Someone started a slow (8 SPS, 125 ms) conversion of AIN3: OS | MUX=111 | PGA=001 | MODE | DR=000 | COMP_QUE=11
    await bus.writeWord(0x49, 0x01, 0x03f3); // 0xF303 sent MSB first, as an SMBus word
    expect((await values(driver)).ain0).toBeCloseTo(0.5, 3);
  });

  it('gives up with a typed error when the conversion never finishes', async () => {
    const { driver } = setup({ stuck: true }, { inputs: [{ mux: 'ain0' }] });
    await expect(driver.read()).rejects.toBeInstanceOf(I2cNotReadyError);
  });

  it('raises a typed NACK naming the address when a conversion is cut off', async () => {
    const { bus, driver } = setup({ voltages: [1] });
    bus.injectNack({ address: 0x49, after: 5 });
    const err = await driver.read().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(I2cNackError);
    expect((err as Error).message).toContain('0x49');
    expect((await values(driver)).ain0).toBeCloseTo(1, 3);
  });

  it('refuses bad options when created', () => {
    const bus = createSimulatedI2cBus();
    expect(() => createAds1115Driver(bus, 0x48, { dataRate: 100 as 128 })).toThrow(I2cDriverConfigError);
    expect(() => createAds1115Driver(bus, 0x48, { inputs: [{ mux: 'ain4' as 'ain0' }] })).toThrow(/mux/);
    expect(() => createAds1115Driver(bus, 0x48, { inputs: [{ mux: 'ain0', fullScale: 5 as 4.096 }] })).toThrow(/fullScale/);
    expect(() => createAds1115Driver(bus, 0x48, { inputs: [{ mux: 'ain0' }, { mux: 'ain1', name: 'ain0' }] })).toThrow(/two inputs/);
  });
});
