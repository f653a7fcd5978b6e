import { afterEach, describe, expect, it } from 'vitest';
import { ChannelNotWritableError, ModbusExceptionError, ModbusTimeoutError, SerialDriverConfigError, UnknownChannelError } from './errors.js';
import { createModbusDriver, SMART_PLUG_REGISTERS, type ModbusDriver } from './modbus.driver.js';
import { modbusSimOptionsFor, startModbusSim, type ModbusSim } from './modbus.sim.js';
import { createSerialPair } from './serialPort.js';
import type { ValueSource } from './simValues.js';

const closers: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

/** A smart plug on slave 3: power follows `watts` unless the relay is off, energy counts on. */
function plug(watts = 123.4): { driver: ModbusDriver; sim: ModbusSim } {
  const source: ValueSource = (channel, device) => {
    if (channel.name === 'power') return device.outputs.get('relay') === false ? 0 : watts;
    if (channel.name === 'energy') return 70_000;
    return undefined;
  };
  const [host, device] = createSerialPair({ baudRate: 9600 });
  const sim = startModbusSim(device, modbusSimOptionsFor(3, SMART_PLUG_REGISTERS, { source }));
  const driver = createModbusDriver(host, { slaveId: 3, registers: SMART_PLUG_REGISTERS, timeoutMs: 50, retries: 1 });
  closers.push(() => driver.close(), () => sim.close());
  return { driver, sim };
}

describe('Modbus driver', () => {
  it('exposes the register table as channels', () => {
    const { driver } = plug();
    expect(driver.driver).toBe('modbus');
    expect(driver.channels).toEqual([
      { name: 'power', role: 'sensor', type: 'power', unit: 'W' },
      { name: 'relay', role: 'actuator', type: 'relay', unit: '' },
      { name: 'energy', role: 'sensor', type: 'energy', unit: 'Wh' },
    ]);
  });

  it('reads a smart plug (power W×10, relay, 32-bit energy) in one request', async () => {
    const { driver, sim } = plug(123.4);
    expect(await driver.read()).toEqual([
      { channel: 'power', value: 123.4 },
      { channel: 'relay', value: true },
      { channel: 'energy', value: 70_000 },
    ]);
    expect(sim.bank.get(0)).toBe(1234);
    expect(sim.stats.requests).toBe(1);
  });

  it('switches the relay off, returns the value read back, and the plug then draws nothing', async () => {
    const { driver, sim } = plug();
    expect(await driver.write('relay', false)).toBe(false);
    expect(sim.bank.get(1)).toBe(0);
    expect((await driver.read()).find((r) => r.channel === 'power')?.value).toBe(0);
    expect(await driver.write('relay', true)).toBe(true);
  });

  it('returns what the device holds, not what was asked', async () => {
    const [host, device] = createSerialPair({ baudRate: 9600 });
    // A dimmer that clamps to 80% whatever it is told.
    const bank = new Map([[5, 0]]);
    const sim = startModbusSim(device, { slaveId: 9, registers: bank, refresh: (b) => b.set(5, Math.min(b.get(5) ?? 0, 800)) });
    const driver = createModbusDriver(host, { slaveId: 9, registers: [{ name: 'level', address: 5, role: 'actuator', type: 'pwm', unit: '%', scale: 0.1 }] });
    closers.push(() => driver.close(), () => sim.close());
    expect(await driver.write('level', 95)).toBe(80);
  });

  it('refuses writes it cannot do before anything goes on the wire', async () => {
    const { driver, sim } = plug();
    await expect(driver.write('power', 5)).rejects.toBeInstanceOf(ChannelNotWritableError);
    await expect(driver.write('fan', true)).rejects.toBeInstanceOf(UnknownChannelError);
    await expect(driver.write('relay', 'on')).rejects.toBeInstanceOf(ChannelNotWritableError);
    expect(sim.stats.requests).toBe(0);
  });

  it('passes an exception from the device up as a typed error', async () => {
    const [host, device] = createSerialPair({ baudRate: 9600 });
    const sim = startModbusSim(device, { slaveId: 3, registers: [[0, 1]] });
    const driver = createModbusDriver(host, { slaveId: 3, registers: SMART_PLUG_REGISTERS });
    closers.push(() => driver.close(), () => sim.close());
    await expect(driver.read()).rejects.toMatchObject({ code: 'ERR_MODBUS_EXCEPTION', exceptionName: 'ILLEGAL DATA ADDRESS' });
    await expect(driver.read()).rejects.toBeInstanceOf(ModbusExceptionError);
  });

  it('times out after its retries when the device is gone', async () => {
    const { driver, sim } = plug();
    sim.faults.dropReplies = 2;
    await expect(driver.read()).rejects.toBeInstanceOf(ModbusTimeoutError);
    expect(sim.stats.requests).toBe(2);
  });

  it('refuses bad options when made, naming the problem', () => {
    const [host] = createSerialPair();
    const bad = (o: unknown): unknown => {
      try {
        createModbusDriver(host, o);
      } catch (e) {
        return e;
      }
      return undefined;
    };
    expect(bad({ registers: SMART_PLUG_REGISTERS })).toBeInstanceOf(SerialDriverConfigError);
    expect(bad({ slaveId: 300, registers: SMART_PLUG_REGISTERS })).toMatchObject({ code: 'ERR_SERIAL_DRIVER_CONFIG' });
    expect(bad({ slaveId: 1, registers: SMART_PLUG_REGISTERS, baud: 9600 })).toMatchObject({ message: expect.stringMatching(/baud/) });
    expect(bad({ slaveId: 1, registers: [{ name: 'x', address: 0, role: 'sensor', type: 't', unit: '', scale: 0 }] })).toBeInstanceOf(SerialDriverConfigError);
    expect(bad({ slaveId: 1, registers: [{ name: 'x', address: 0, role: 'actuator', type: 't', unit: '', format: 'uint32' }] })).toBeInstanceOf(SerialDriverConfigError);
    expect(bad({ slaveId: 1, baudRate: 19200, registers: SMART_PLUG_REGISTERS })).toBeUndefined();
  });
});
