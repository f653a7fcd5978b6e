import { describe, expect, it } from 'vitest';
import { createAds1115Driver } from './ads1115.driver.js';
import { createAds1115Sim } from './ads1115.sim.js';
import { createBme280Sim } from './bme280.sim.js';
import { createMcp23017Sim } from './mcp23017.sim.js';
import { createPca9685Driver } from './pca9685.driver.js';
import { createPca9685Sim } from './pca9685.sim.js';
import { scanI2cBus } from './scan.js';
import type { SimulatedI2cChip } from './simulatedChip.js';
import { createSimulatedI2cBus } from './simulatedI2cBus.js';
import { createTmp102Driver } from './tmp102.driver.js';
import { createTmp102Sim } from './tmp102.sim.js';

describe('I2C bus scan', () => {
  it('finds exactly the attached chips and names their drivers', async () => {
    const bus = createSimulatedI2cBus();
    bus.attach(0x20, createMcp23017Sim());
    bus.attach(0x40, createPca9685Sim());
    bus.attach(0x48, createTmp102Sim({ temperature: 21.5 }));
    bus.attach(0x49, createAds1115Sim());
    bus.attach(0x76, createBme280Sim());
    expect(await scanI2cBus(bus)).toEqual([
      { address: 0x20, driver: 'mcp23017' },
      { address: 0x40, driver: 'pca9685' },
      { address: 0x48, driver: 'tmp102' },
      { address: 0x49, driver: 'ads1115' },
      { address: 0x76, driver: 'bme280' },
    ]);
  });

  it('tells a TMP102 from an ADS1115 at 0x48, also after their drivers configured them', async () => {
    for (const [name, sim, configure] of [
      ['tmp102', createTmp102Sim({ temperature: -3 }), (b: never) => createTmp102Driver(b, 0x48, { extendedMode: true, conversionRateHz: 8 })],
      ['ads1115', createAds1115Sim({ voltages: [1, 2, 3, 0] }), (b: never) => createAds1115Driver(b, 0x48, { dataRate: 860, inputs: [{ mux: 'ain2', fullScale: 0.256 }] })],
    ] as const) {
      const bus = createSimulatedI2cBus();
      bus.attach(0x48, sim);
      expect(await scanI2cBus(bus)).toEqual([{ address: 0x48, driver: name }]);
      await configure(bus as never).read();
      expect(await scanI2cBus(bus)).toEqual([{ address: 0x48, driver: name }]);
    }
  });

  it('finds a PCA9685 at an address its neighbours could have (0x4A, 0x77), after its driver ran', async () => {
    const bus = createSimulatedI2cBus();
    bus.attach(0x4a, createPca9685Sim());
    bus.attach(0x77, createPca9685Sim());
    await createPca9685Driver(bus, 0x4a, { frequencyHz: 50 }).write!('ch0', 0.5);
    expect(await scanI2cBus(bus)).toEqual([
      { address: 0x4a, driver: 'pca9685' },
      { address: 0x77, driver: 'pca9685' },
    ]);
  });

  it('returns nothing on an empty bus, and skips devices it does not know without throwing', async () => {
    const bus = createSimulatedI2cBus();
    expect(await scanI2cBus(bus)).toEqual([]);
    const mute: SimulatedI2cChip = { write: () => {}, read: (n) => new Uint8Array(n).fill(0xff) };
    bus.attach(0x50, mute); // an EEPROM-like device answering 0xFF everywhere
    bus.attach(0x76, createBme280Sim({ chipId: 0x58 })); // a BMP280: not supported
    expect(await scanI2cBus(bus)).toEqual([]);
  });

  it('reports a chip that stops answering mid-identification as unidentified, not as an error', async () => {
    const bus = createSimulatedI2cBus();
    bus.attach(0x20, createMcp23017Sim());
    bus.attach(0x21, createMcp23017Sim());
    bus.injectNack({ address: 0x20, after: 1, count: 10 }); // the probe passes, the register reads fail
    expect(await scanI2cBus(bus)).toEqual([{ address: 0x21, driver: 'mcp23017' }]);
  });

  it('raises a typed error when the bus itself fails', async () => {
    const bus = createSimulatedI2cBus();
    await expect(scanI2cBus({ ...bus, scan: () => Promise.reject(Object.assign(new Error('EBADF, Bad file descriptor'), { errno: 9 })) })).rejects.toMatchObject({ code: 'ERR_I2C_SCAN' });
  });
});
