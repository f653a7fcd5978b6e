import { describe, expect, it } from 'vitest';
import { SMART_PLUG_REGISTERS } from '../serial/index.js';
import { parseHardwareConfig } from './config.js';
import { fieldOf } from './configErrors.js';

const base = { board: { kind: 'reactor', id: 'r1' }, nats: { url: 'nats://10.0.0.5:4222' } };
const parse = (devices: unknown[], extra: object = {}) => parseHardwareConfig({ ...base, devices, ...extra }, '/boards/r1/hardware.json');

describe('hardware.json', () => {
  it('fills in defaults and resolves paths against the file', () => {
    const c = parse([{ id: 't1', bus: 'i2c', address: '0x48', driver: 'tmp102' }], { buffer: { dir: 'buf' }, nats: { url: ['nats://a:4222', 'nats://b:4222'], user: 'edge', pass: 'pw' } });
    expect(c.board).toEqual({ kind: 'reactor', id: 'r1', name: 'r1', serial: 'r1', description: '', owner: undefined });
    expect(c.nats).toMatchObject({ servers: ['nats://a:4222', 'nats://b:4222'], user: 'edge', pass: 'pw' });
    expect(c.partitions).toBe(16);
    expect(c.buffer).toEqual({ dir: '/boards/r1/buf', maxBytes: 64 * 1024 * 1024 });
    expect(c.devices[0]).toMatchObject({ id: 't1', busNumber: 1, i2cAddress: 0x48, intervalMs: 5000 });
  });

  it('lets the command line point the board elsewhere', () => {
    const c = parseHardwareConfig({ ...base, devices: [] }, '/b/hw.json', { natsUrl: 'nats://127.0.0.1:5000', bufferDir: '/data/edge/r1' });
    expect(c.nats.servers).toEqual(['nats://127.0.0.1:5000']);
    expect(c.buffer.dir).toBe('/data/edge/r1');
  });

  it('completes a Modbus plug: slave id from the address, the smart-plug register table by default', () => {
    const c = parse([{ id: 'p', bus: 'serial', path: '/dev/ttyUSB0', address: 3, driver: 'modbus' }]);
    expect(c.devices[0]!.options).toEqual({ slaveId: 3, registers: SMART_PLUG_REGISTERS.map((r) => ({ ...r })) });
  });

  it('gives a BLE device its service and address as the gatt driver wants them', () => {
    const characteristics = [{ name: 't', uuid: '2a6e', role: 'sensor', type: 'temperature', unit: 'C', format: 'int16le' }];
    const c = parse([{ id: 'b', bus: 'ble', serviceUuid: '181a', address: 'c0:ff:ee:00:00:01', driver: 'gatt', options: { characteristics } }]);
    expect(c.devices[0]!.options).toEqual({ characteristics, serviceUuid: '181a', address: 'c0:ff:ee:00:00:01' });
  });

  it.each([
    [[{ id: 'a', bus: 'i2c', address: 72, driver: 'tmp102' }, { id: 'b', bus: 'i2c', address: 72, driver: 'ads1115' }], 'devices[1].address: 0x48 on I2C bus 1 is already devices[0] (tmp102)'],
    [[{ id: 'a:b', bus: 'i2c', address: 72, driver: 'tmp102' }], 'devices[0].id: must be letters, digits, _, - and @ (no ":", which separates a device from its channel) (got "a:b")'],
    [[{ id: 'b', bus: 'ble', driver: 'gatt', options: { characteristics: [] } }], 'devices[0].serviceUuid: a BLE device is found by the service UUID it advertises'],
    [[{ id: 'b', bus: 'ble', serviceUuid: '181a', driver: 'nordic' }], 'devices[0].driver: unknown BLE driver "nordic" (known: "gatt")'],
    [[{ id: 's', bus: 'serial', path: '/dev/x', driver: 'jsonlines', options: { baud: 9600 } }], 'devices[0].options: '],
    [[{ id: 'f', bus: 'i2c', address: 72, driver: 'tmp102', fields: { temperature: 'value' } }], 'devices[0].fields: only spark boards map channels to block fields'],
  ])('refuses %j naming the field', (devices, message) => {
    expect(() => parse(devices)).toThrow(expect.objectContaining({ code: 'ERR_HARDWARE_CONFIG', message: expect.stringContaining(message) }));
  });

  it('says TypeBox paths in hardware.json terms', () => {
    expect(fieldOf('/devices/2/address')).toBe('devices[2].address');
    expect(fieldOf('/nats/url/0')).toBe('nats.url[0]');
    expect(fieldOf('')).toBe('');
  });
});
