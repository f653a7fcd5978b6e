import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { I2cBusUnavailableError, I2cModuleUnavailableError } from './errors.js';
import { openI2cBus } from './i2cBus.js';

describe('openI2cBus', () => {
  it.runIf(!existsSync('/dev/i2c-1'))('fails with a typed error naming the device node on a machine without I2C', async () => {
    const err = await openI2cBus(1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(I2cBusUnavailableError);
    expect(err).toMatchObject({ code: 'ERR_I2C_BUS_UNAVAILABLE', details: { busNumber: 1, path: '/dev/i2c-1' } });
    expect((err as Error).message).toContain('/dev/i2c-1 does not exist');
  });

  it('refuses a bus number that is not a non-negative integer', async () => {
    await expect(openI2cBus(-1)).rejects.toBeInstanceOf(I2cBusUnavailableError);
    await expect(openI2cBus(1.5)).rejects.toThrow(/non-negative integer/);
  });

  it('reports a module that cannot be loaded, or is not i2c-bus, as its own typed error', async () => {
    const missing = await openI2cBus(1, { loadModule: () => Promise.reject(new Error("Cannot find module 'i2c-bus'")) }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(I2cModuleUnavailableError);
    expect(missing).toMatchObject({ code: 'ERR_I2C_MODULE_UNAVAILABLE' });
    expect((missing as Error).message).toContain("Cannot find module 'i2c-bus'");
    await expect(openI2cBus(1, { loadModule: async () => ({ default: {} }) })).rejects.toThrow(/no openPromisified/);
  });
});
