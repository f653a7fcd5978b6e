import { describe, expect, it } from 'vitest';
import { I2cDriverConfigError, I2cInvalidWriteError, I2cNackError } from './errors.js';
import { createPca9685Driver, decodePca9685Duty, encodePca9685Duty, pca9685Prescale, type Pca9685Options } from './pca9685.driver.js';
import { createPca9685Sim } from './pca9685.sim.js';
import { createSimulatedI2cBus } from './simulatedI2cBus.js';

function setup(options: Pca9685Options = {}) {
  const bus = createSimulatedI2cBus();
  const chip = createPca9685Sim();
  bus.attach(0x40, chip);
  return { bus, chip, driver: createPca9685Driver(bus, 0x40, options) };
}

describe('PCA9685 driver against the simulated chip', () => {
  it('computes the prescale with the datasheet formula round(25 MHz / (4096 × f)) − 1', () => {
    expect(pca9685Prescale(200)).toBe(0x1e); // the datasheet's own example (and the power-up value)
    expect(pca9685Prescale(50)).toBe(121); // 25e6 / 204800 = 122.07 → 122 − 1
    expect(pca9685Prescale(1000)).toBe(5); // 25e6 / 4096000 = 6.10 → 6 − 1
  });

  it.each([
    [50, 121],
    [1000, 5],
  ])('programs %s Hz as prescale %s, putting the chip to sleep first', async (frequencyHz, prescale) => {
    const { bus, chip, driver } = setup({ frequencyHz });
    // Leave the chip awake and running, as a previous program would: PRE_SCALE ignores writes now.
    await bus.writeByte(0x40, 0x00, 0x01);
    await bus.writeByte(0x40, 0xfe, 0x03);
    expect(chip.register(0xfe)).toBe(0x1e);
    await driver.read();
    expect(chip.register(0xfe)).toBe(prescale);
    expect(chip.frequencyHz()).toBeCloseTo(25e6 / (4096 * (prescale + 1)), 6);
    expect(Math.abs(chip.frequencyHz() - frequencyHz) / frequencyHz).toBeLessThan(0.1);
    expect(chip.running()).toBe(true);
    expect(chip.register(0x00) & 0x20).toBe(0x20); // auto-increment on for block transfers
  });

  it('round-trips duty cycles in steps of 1/4096, with the full-on/full-off bits at the ends', async () => {
    const { chip, driver } = setup();
    for (const duty of [0, 1 / 4096, 0.25, 0.5, 0.7, 4095 / 4096, 1]) {
      const readBack = (await driver.write!('ch3', duty)) as number;
      expect(Math.abs(readBack - duty)).toBeLessThanOrEqual(1 / 8192);
      expect(chip.duty(3)).toBe(readBack);
    }
    await driver.write!('ch0', 0);
    expect(chip.register(0x09) & 0x10).toBe(0x10); // LED0_OFF_H full off
    await driver.write!('ch15', 1);
    expect(chip.register(0x43) & 0x10).toBe(0x10); // LED15_ON_H full on
    expect(chip.register(0x45) & 0x10).toBe(0);
    expect(await driver.write!('ch7', true)).toBe(1);
  });

  it('reads all sixteen channels, including what was set before it started', async () => {
    const { bus, driver } = setup();
    // ch9 off at 2048, one register at a time: AI is off at power-up, so a block would land in one register.
    for (const [reg, v] of [[0x2a, 0], [0x2b, 0], [0x2c, 0x00], [0x2d, 0x08]] as const) await bus.writeByte(0x40, reg, v);
    const readings = await driver.read();
    expect(readings.map((r) => r.channel)).toEqual(Array.from({ length: 16 }, (_, n) => `ch${n}`));
    expect(readings.find((r) => r.channel === 'ch9')?.value).toBe(0.5);
    expect(readings.filter((r) => r.value === 0)).toHaveLength(15);
  });

  it('resumes outputs that were running when it put the chip to sleep (RESTART)', async () => {
    const { bus, chip, driver } = setup({ frequencyHz: 50 });
    await bus.writeByte(0x40, 0x00, 0x01); // awake
    // ch0 running, one register at a time (AI is off at power-up)
    for (const [reg, v] of [[0x06, 0], [0x07, 0], [0x08, 0x33], [0x09, 0x01]] as const) await bus.writeByte(0x40, reg, v);
    expect(chip.duty(0)).toBeCloseTo(0x133 / 4096, 9);
    await driver.read();
    expect(chip.running()).toBe(true);
    expect(chip.register(0x00) & 0x80).toBe(0);
    expect(chip.duty(0)).toBeCloseTo(0x133 / 4096, 9);
  });

  it('encodes and decodes the LEDn registers per the datasheet', () => {
    expect([...encodePca9685Duty(0.5)]).toEqual([0, 0, 0x00, 0x08]);
    expect([...encodePca9685Duty(0)]).toEqual([0, 0, 0, 0x10]);
    expect([...encodePca9685Duty(1)]).toEqual([0, 0x10, 0, 0]);
    expect(decodePca9685Duty(Uint8Array.of(0x99, 0x01, 0xcc, 0x04))).toBe((0x4cc - 0x199) / 4096); // datasheet example: on 410, off 1228
    expect(decodePca9685Duty(Uint8Array.of(0, 0x10, 0, 0x10))).toBe(0); // full off wins over full on
  });

  it('refuses writes to unknown channels and out-of-range values with a typed error', async () => {
    const { driver } = setup();
    await expect(driver.write!('ch16', 0.5)).rejects.toBeInstanceOf(I2cInvalidWriteError);
    await expect(driver.write!('led1', 0.5)).rejects.toBeInstanceOf(I2cInvalidWriteError);
    await expect(driver.write!('ch1', 1.5)).rejects.toThrow(/0 to 1/);
    await expect(driver.write!('ch1', -0.1)).rejects.toBeInstanceOf(I2cInvalidWriteError);
    await expect(driver.write!('ch1', 'half')).rejects.toBeInstanceOf(I2cInvalidWriteError);
  });

  it('refuses frequencies the prescale cannot reach when created', () => {
    const bus = createSimulatedI2cBus();
    expect(() => createPca9685Driver(bus, 0x40, { frequencyHz: 2000 })).toThrow(I2cDriverConfigError);
    expect(() => createPca9685Driver(bus, 0x40, { frequencyHz: 10 })).toThrow(/24…1526 Hz/);
    expect(() => createPca9685Driver(bus, 0x40, { frequencyHz: 1526 })).not.toThrow();
  });

  it('NACKs a pointer to a reserved register, and raises a typed NACK naming a missing chip', async () => {
    const { bus } = setup();
    await expect(bus.writeByte(0x40, 0x50, 0)).rejects.toMatchObject({ errno: 121 });
    const err = await createPca9685Driver(bus, 0x41).write!('ch0', 0.5).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(I2cNackError);
    expect((err as Error).message).toContain('0x41');
  });
});
