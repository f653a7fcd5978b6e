import { describe, expect, it } from 'vitest';
import { createLogger } from '../../shared/logger.js';
import { GattDriver } from './ble.driver.js';
import type { GattDriverOptions } from './ble.options.js';
import { SimulatedCentral } from './simulatedBle.js';
import { simulatedGattPeripheral } from './simulatedValues.js';

/** What `--simulate` gives: the device a hardware.json entry describes, read through the real driver. */
const entry: GattDriverOptions = {
  serviceUuid: '181a',
  localName: 'greenhouse',
  characteristics: [
    { name: 'temperature', uuid: '2a6e', role: 'sensor', type: 'temperature', unit: '°C', format: 'int16le', scale: 0.01 },
    { name: 'humidity', uuid: '2a6f', role: 'sensor', type: 'humidity', unit: '%', format: 'uint16le', scale: 0.01 },
    { name: 'fan', uuid: 'ff10', role: 'actuator', type: 'pwm', unit: '%', format: 'uint8' },
  ],
};

describe('simulated GATT peripheral from driver options', () => {
  it('gives plausible values that change over time, and a working actuator', async () => {
    let t = 0;
    const central = new SimulatedCentral();
    central.addPeripheral(simulatedGattPeripheral(entry, { now: () => t, periodMs: 60_000, random: () => 0.25, notifyEveryMs: 5 }));
    const d = new GattDriver(central, entry, { logger: createLogger({ level: 'silent' }) });
    try {
      const samples: number[] = [];
      for (t = 0; t < 60_000; t += 10_000) {
        // Temperature and humidity notify: give the device a few ticks to send the value for this moment.
        await new Promise((r) => setTimeout(r, 25));
        const readings = await d.read();
        const temp = readings.find((r) => r.channel === 'temperature')!.value as number;
        const hum = readings.find((r) => r.channel === 'humidity')!.value as number;
        expect(temp).toBeGreaterThanOrEqual(18);
        expect(temp).toBeLessThanOrEqual(24);
        expect(hum).toBeGreaterThanOrEqual(35);
        expect(hum).toBeLessThanOrEqual(55);
        samples.push(temp);
      }
      expect(new Set(samples).size).toBeGreaterThan(3);
      expect(await d.write('fan', 70)).toBe(70);
    } finally {
      await d.close();
    }
  });

  it('advertises what the entry filters on (service, name, address)', () => {
    const p = simulatedGattPeripheral({ ...entry, address: 'c0ffee000001' });
    expect(p.advertisedServiceUuids).toEqual(['181a']);
    expect(p.localName).toBe('greenhouse');
    expect(p.address).toBe('c0:ff:ee:00:00:01');
    expect(p.id).toBe('c0ffee000001');
  });
});
