import { describe, expect, it } from 'vitest';
import { createSimulatedI2cBus, i2cDrivers, i2cSimulators, scanI2cBus, sineWave, type I2cDriverName } from './index.js';

const ADDRESSES: Record<I2cDriverName, number> = { tmp102: 0x48, ads1115: 0x49, bme280: 0x77, pca9685: 0x41, mcp23017: 0x27 };

describe('i2c index', () => {
  it('maps every driver name to a factory whose driver reads its simulated chip', async () => {
    const bus = createSimulatedI2cBus();
    const names = Object.keys(i2cDrivers) as I2cDriverName[];
    expect(names.sort()).toEqual(['ads1115', 'bme280', 'mcp23017', 'pca9685', 'tmp102']);
    for (const name of names) bus.attach(ADDRESSES[name], i2cSimulators[name]());
    expect((await scanI2cBus(bus)).map((r) => r.driver).sort()).toEqual(names);
    for (const name of names) {
      const driver = i2cDrivers[name](bus, ADDRESSES[name], name === 'ads1115' ? { dataRate: 860 } : {});
      expect(driver.driver).toBe(name);
      const readings = await driver.read();
      expect(readings.map((r) => r.channel)).toEqual(driver.channels.map((c) => c.name));
      await driver.close();
    }
  });

  it('drives a simulated chip from a function of time, as a --simulate run would', async () => {
    let now = 0;
    const bus = createSimulatedI2cBus();
    bus.attach(0x48, i2cSimulators.tmp102({ temperature: sineWave({ mean: 20, amplitude: 5, periodMs: 86_400_000 }), clock: () => now }));
    const driver = i2cDrivers.tmp102(bus, 0x48);
    const at = async (ms: number) => {
      now = ms;
      return (await driver.read())[0]?.value;
    };
    expect(await at(0)).toBe(20);
    expect(await at(21_600_000)).toBe(25);
    expect(await at(64_800_000)).toBe(15);
  });
});
