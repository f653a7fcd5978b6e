import { describe, expect, it } from 'vitest';
import { I2cDriverConfigError, I2cNackError } from './errors.js';
import { createSimulatedI2cBus } from './simulatedI2cBus.js';
import { createTmp102Driver, decodeTmp102Temperature } from './tmp102.driver.js';
import { createTmp102Sim } from './tmp102.sim.js';

const RESOLUTION = 0.0625;

function setup(temperature: number, options: Parameters<typeof createTmp102Driver>[2] = {}) {
  const bus = createSimulatedI2cBus();
  const sim = createTmp102Sim({ temperature });
  bus.attach(0x48, sim);
  return { bus, sim, driver: createTmp102Driver(bus, 0x48, options) };
}

const temperatureOf = async (driver: ReturnType<typeof createTmp102Driver>): Promise<number> => {
  const [reading] = await driver.read();
  expect(reading?.channel).toBe('temperature');
  return reading?.value as number;
};

describe('TMP102 driver', () => {
  it('decodes the datasheet table (12-bit and 13-bit formats)', () => {
    // SBOS397 tables 5 and 6: the 12/13-bit codes left-justified in the 16-bit register.
    expect(decodeTmp102Temperature(0x7ff << 4)).toBe(127.9375);
    expect(decodeTmp102Temperature(0x190 << 4)).toBe(25);
    expect(decodeTmp102Temperature(0x004 << 4)).toBe(0.25);
    expect(decodeTmp102Temperature(0xffc << 4)).toBe(-0.25);
    expect(decodeTmp102Temperature(0xe70 << 4)).toBe(-25);
    expect(decodeTmp102Temperature(0xc90 << 4)).toBe(-55);
    expect(decodeTmp102Temperature((0x0960 << 3) | 1)).toBe(150);
    expect(decodeTmp102Temperature((0x1e70 << 3) | 1)).toBe(-25);
  });

  it.each([21.3, 0, 0.0625, -0.25, -25, -40.7, 100.1])('reads %s °C within the resolution', async (t) => {
    const { driver } = setup(t);
    expect(Math.abs((await temperatureOf(driver)) - t)).toBeLessThanOrEqual(RESOLUTION / 2);
  });

  it('puts -25 °C on the wire as the datasheet says (E70 left-justified, MSB first)', async () => {
    const { sim, driver } = setup(-25);
    await driver.read();
    expect(sim.register(0)).toBe(0xe700);
  });

  it('saturates at 127.9375 °C in normal mode and reaches 150 °C in extended mode', async () => {
    const normal = setup(150);
    expect(await temperatureOf(normal.driver)).toBe(127.9375);
    const extended = setup(150, { extendedMode: true });
    expect(await temperatureOf(extended.driver)).toBe(150);
    expect(extended.sim.register(1) & 0x0010).toBe(0x0010);
    expect(extended.sim.register(0) & 0x0007).toBe(1);
  });

  it('configures continuous conversion at the asked rate and keeps the thermostat bits', async () => {
    const { bus, sim } = setup(20);
    await bus.writeWord(0x48, 0x01, 0x0067); // MSB 0x67 first: TM = 1, SD = 1 (shutdown), F = 00
    const driver = createTmp102Driver(bus, 0x48, { conversionRateHz: 8 });
    await driver.read();
    const config = sim.register(1);
    expect(config & 0x0100).toBe(0); // SD cleared
    expect(config & 0x0200).toBe(0x0200); // TM kept
    expect(config & 0x00c0).toBe(0x00c0); // CR = 8 Hz
  });

  it('follows a changing value source', async () => {
    const { sim, driver } = setup(10);
    expect(await temperatureOf(driver)).toBe(10);
    sim.setTemperature(() => -12.5);
    expect(await temperatureOf(driver)).toBe(-12.5);
  });

  it('raises a typed NACK error naming the address when nothing answers, and recovers after', async () => {
    const { bus, driver } = setup(20);
    const empty = createTmp102Driver(bus, 0x49);
    const err = await empty.read().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(I2cNackError);
    expect((err as Error).message).toContain('0x49');
    await driver.read();
    bus.injectNack({ address: 0x48 });
    await expect(driver.read()).rejects.toBeInstanceOf(I2cNackError);
    expect(await temperatureOf(driver)).toBe(20);
  });

  it('refuses a bad rate when created, and reads nothing once closed', async () => {
    const bus = createSimulatedI2cBus();
    expect(() => createTmp102Driver(bus, 0x48, { conversionRateHz: 2 as 1 })).toThrow(I2cDriverConfigError);
    const { driver } = setup(20);
    await driver.close();
    await expect(driver.read()).rejects.toMatchObject({ code: 'ERR_I2C_DRIVER_CLOSED' });
  });
});
