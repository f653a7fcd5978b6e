import { existsSync } from 'node:fs';
import type * as Noble from '@abandonware/noble';
import { describe, expect, it } from 'vitest';
import { normalizeUuid, openNoble, waitForPoweredOn, withTimeout, type BleCentral, type BleCharacteristic, type BlePeripheral } from './ble.js';
import { BleUnavailableError } from './errors.js';
import { SimulatedCentral } from './simulatedBle.js';

// Compile-time: noble's own objects fit the port (tsc fails here if the port drifts from noble's API).
// The module's typings omit the `state` getter the real central has, hence the Omit.
export const nobleFitsPort = {
  central: (n: typeof Noble): Omit<BleCentral, 'state'> => n,
  peripheral: (p: Noble.Peripheral): BlePeripheral => p,
  characteristic: (c: Noble.Characteristic): BleCharacteristic => c,
};

const hasAdapter = existsSync('/sys/class/bluetooth/hci0');

describe('openNoble', () => {
  it.skipIf(hasAdapter)('rejects with ERR_BLE_UNAVAILABLE on a machine without Bluetooth, keeping the cause', async () => {
    const err = await openNoble({ poweredOnTimeoutMs: 500 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BleUnavailableError);
    expect((err as BleUnavailableError).code).toBe('ERR_BLE_UNAVAILABLE');
    // Here the import itself fails (EAFNOSUPPORT from the HCI socket); the original error is kept as cause.
    expect((err as Error).cause).toBeDefined();
    expect((err as Error).message).toMatch(/noble/);
  });

  it('turns a failing import, whatever it throws, into ERR_BLE_UNAVAILABLE', async () => {
    const e = Object.assign(new Error('Address family not supported by protocol'), { code: 'EAFNOSUPPORT' });
    await expect(openNoble({ importer: () => Promise.reject(e) })).rejects.toMatchObject({ code: 'ERR_BLE_UNAVAILABLE', message: expect.stringContaining('EAFNOSUPPORT'), cause: e });
    await expect(openNoble({ importer: () => Promise.reject('a string') })).rejects.toMatchObject({ code: 'ERR_BLE_UNAVAILABLE' });
  });

  it('rejects a module without a central, and an adapter that is unsupported or never powers on', async () => {
    await expect(openNoble({ importer: async () => ({ default: {} }) })).rejects.toMatchObject({ code: 'ERR_BLE_UNAVAILABLE' });
    const unsupported = new SimulatedCentral({ state: 'unsupported' });
    await expect(openNoble({ importer: async () => ({ default: unsupported }) })).rejects.toMatchObject({ code: 'ERR_BLE_UNAVAILABLE', message: expect.stringContaining('unsupported') });
    const off = new SimulatedCentral({ state: 'poweredOff' });
    const started = Date.now();
    await expect(openNoble({ importer: async () => ({ default: off }), poweredOnTimeoutMs: 50 })).rejects.toMatchObject({ code: 'ERR_BLE_UNAVAILABLE' });
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('returns the central once it reports poweredOn', async () => {
    const central = new SimulatedCentral({ state: 'unknown' });
    setTimeout(() => central.setState('poweredOn'), 10);
    await expect(openNoble({ importer: async () => ({ default: central }) })).resolves.toBe(central);
  });
});

describe('waitForPoweredOn', () => {
  it('fails typed when the adapter turns out unsupported, and removes its listener either way', async () => {
    const central = new SimulatedCentral({ state: 'unknown' });
    const waiting = waitForPoweredOn(central, 1_000);
    central.setState('unauthorized');
    await expect(waiting).rejects.toMatchObject({ code: 'ERR_BLE_UNAVAILABLE' });
    expect(central.listenerCount('stateChange')).toBe(0);
  });

  it('times out with ERR_BLE_TIMEOUT when the adapter stays off', async () => {
    await expect(waitForPoweredOn(new SimulatedCentral({ state: 'poweredOff' }), 20)).rejects.toMatchObject({ code: 'ERR_BLE_TIMEOUT' });
  });
});

describe('normalizeUuid', () => {
  it('writes every spelling the way noble reports UUIDs', () => {
    expect(normalizeUuid('0x2A6E')).toBe('2a6e');
    expect(normalizeUuid('00002A6E-0000-1000-8000-00805F9B34FB')).toBe('2a6e');
    expect(normalizeUuid('6E400001-B5A3-F393-E0A9-E50E24DCCA9E')).toBe('6e400001b5a3f393e0a9e50e24dcca9e');
  });
});

describe('withTimeout', () => {
  it('bounds a promise that never settles, and passes through one that does', async () => {
    await expect(withTimeout(new Promise(() => undefined), 10, () => new Error('late'))).rejects.toThrow('late');
    await expect(withTimeout(Promise.resolve(7), 1_000, () => new Error('late'))).resolves.toBe(7);
  });
});
