import { describe, expect, it } from 'vitest';
import { SerialDriverConfigError, UnknownSerialDriverError } from './errors.js';
import { serialDriverFor, serialDrivers, SMART_PLUG_REGISTERS, simulateSerialDevice, startModbusSim, createSerialPair } from './index.js';
import { plausibleValues } from './simValues.js';

describe('simulated serial devices for --simulate', () => {
  it('a simulated Modbus smart plug reads plausible power and goes to 0 W when switched off', async () => {
    const sim = await simulateSerialDevice('modbus', { slaveId: 1, baudRate: 19200, registers: SMART_PLUG_REGISTERS });
    try {
      const readings = new Map((await sim.driver.read()).map((r) => [r.channel, r.value]));
      expect(readings.get('relay')).toBe(true);
      expect(readings.get('power')).toBeGreaterThan(0);
      expect(readings.get('power')).toBeLessThan(200);
      expect(await sim.driver.write!('relay', false)).toBe(false);
      expect((await sim.driver.read()).find((r) => r.channel === 'power')?.value).toBe(0);
    } finally {
      await sim.close();
    }
  });

  it('a simulated JSON-lines device defaults to a plug and answers hello', async () => {
    const sim = await simulateSerialDevice('jsonlines', {});
    try {
      expect(sim.driver.channels.map((c) => c.name)).toEqual(['power', 'relay']);
      expect((await sim.driver.read()).map((r) => r.channel)).toEqual(['power', 'relay']);
    } finally {
      await sim.close();
    }
  });

  it('refuses unknown drivers and bad options', async () => {
    await expect(simulateSerialDevice('canbus', {})).rejects.toBeInstanceOf(UnknownSerialDriverError);
    await expect(simulateSerialDevice('modbus', { registers: [] })).rejects.toBeInstanceOf(SerialDriverConfigError);
    expect(() => serialDriverFor('canbus')).toThrow(UnknownSerialDriverError);
  });

  it('serialDrivers makes drivers by name over any link', async () => {
    const [host, device] = createSerialPair();
    const sim = startModbusSim(device, { slaveId: 2, registers: [[10, 215]] });
    const driver = await serialDrivers.modbus(host, { slaveId: 2, registers: [{ name: 't', address: 10, role: 'sensor', type: 'temperature', unit: '°C', scale: 0.1 }] });
    expect(await driver.read()).toEqual([{ channel: 't', value: 21.5 }]);
    await driver.close();
    sim.close();
    expect(serialDriverFor('jsonlines')).toBe(serialDrivers.jsonlines);
  });

  it('plausible values: a plug cycles between idle and compressor load, off means 0 W', () => {
    const source = plausibleValues();
    const power = { name: 'power', role: 'sensor', type: 'power', unit: 'W' } as const;
    const relay = { name: 'relay', role: 'actuator', type: 'relay', unit: '' } as const;
    const on = { channels: [power, relay], outputs: new Map([['relay', true]]) };
    const samples = Array.from({ length: 20 }, (_, i) => source(power, on, i * 30_000) as number);
    expect(Math.min(...samples)).toBeGreaterThan(0);
    expect(Math.max(...samples) - Math.min(...samples)).toBeGreaterThan(50);
    expect(source(power, { ...on, outputs: new Map([['relay', false]]) }, 0)).toBe(0);
  });
});
