import { describe, expect, it } from 'vitest';
import type { ChannelInfo, DeviceDriver } from '../driver.js';
import { parseHardwareConfig } from './config.js';
import { channelActorIds, selectChannels } from './naming.js';
import type { OpenDevice } from './openDevice.js';
import { boardProfile } from './profile.js';

const AT = '2026-01-01T00:00:00.000Z';

function board(kind: string, devices: unknown[], extra: object = {}) {
  return parseHardwareConfig({ board: { kind, id: 'b1', ...extra }, nats: { url: 'nats://x' }, heartbeatMs: 10_000, devices }, '/hw.json');
}

function open(config: ReturnType<typeof board>, index: number, channels: ChannelInfo[]): OpenDevice {
  const device = config.devices[index]!;
  const selected = selectChannels(device, channels);
  return { config: device, driver: {} as DeviceDriver, channels: selected, actorIds: channelActorIds(device, selected), reported: new Map() };
}

const pwm = (n: number): ChannelInfo => ({ name: `ch${n}`, role: 'actuator', type: 'pwm', unit: '' });

describe('what a board says to its actors', () => {
  it('names a one-channel device after itself and a many-channel device <device>:<channel>', () => {
    const c = board('reactor', [
      { id: 'env', bus: 'i2c', address: 0x76, driver: 'bme280' },
      { id: 'lamp', bus: 'i2c', address: 0x40, driver: 'pca9685', channels: ['ch3'] },
    ]);
    const env = open(c, 0, ['temperature', 'pressure'].map((name) => ({ name, role: 'sensor', type: name, unit: '' })));
    expect([...env.actorIds.values()]).toEqual(['env:temperature', 'env:pressure']);
    const lamp = open(c, 1, [pwm(0), pwm(3)]);
    expect([...lamp.actorIds]).toEqual([['ch3', 'lamp']]);
    expect(boardProfile(c).opened(lamp, AT)).toEqual([{ kind: 'sensor', id: 'lamp', type: 'AttachSensor', data: { role: 'actuator', type: 'pwm', unit: '', parent: 'reactor/b1' } }]);
  });

  it('records readings every sample, and reports an actuator when it changes or to stay alive', () => {
    const c = board('node', [{ id: 'io', bus: 'i2c', address: 0x20, driver: 'mcp23017', options: { pins: { gpa0: { mode: 'input' }, gpb0: { mode: 'output' } } } }]);
    const io = open(c, 0, [
      { name: 'gpa0', role: 'sensor', type: 'gpio', unit: '' },
      { name: 'gpb0', role: 'actuator', type: 'gpio', unit: '' },
    ]);
    const p = boardProfile(c);
    const sample = (out: boolean, nowMs: number) => p.sample(io, [{ channel: 'gpa0', value: true }, { channel: 'gpb0', value: out }], AT, nowMs).map((x) => `${x.id} ${x.type}`);
    expect(sample(false, 0)).toEqual(['io:gpa0 RecordReading', 'io:gpb0 ReportValue']);
    expect(sample(false, 5_000)).toEqual(['io:gpa0 RecordReading']);
    expect(sample(true, 6_000)).toEqual(['io:gpa0 RecordReading', 'io:gpb0 ReportValue']);
    expect(sample(true, 16_000)).toEqual(['io:gpa0 RecordReading', 'io:gpb0 ReportValue']);
    expect(p.started(AT)[0]).toMatchObject({ kind: 'node', id: 'b1', type: 'RegisterNode', data: { hardware: { devices: [{ id: 'io', bus: 'i2c-1', address: 0x20, driver: 'mcp23017', role: 'sensor' }] } } });
    expect(p.heartbeat(AT)).toEqual([{ kind: 'node', id: 'b1', type: 'Heartbeat', data: { at: AT } }]);
  });

  it('a gateway reports Running at start and heartbeats on its own (its device scan restates the devices)', () => {
    const p = boardProfile(board('gateway', []));
    expect(p.started(AT)).toEqual([{ kind: 'gateway', id: 'b1', type: 'ReportStatus', data: { currentStatus: 'Running', at: AT } }]);
    expect(p.heartbeat(AT)).toEqual([{ kind: 'gateway', id: 'b1', type: 'Heartbeat', data: { at: AT } }]);
  });

  it('turns a smart plug into RecordPower and, on change, ConfirmPower', () => {
    const c = board('daemon', [{ id: 'm', bus: 'serial', path: '/dev/ttyUSB0', address: 1, driver: 'modbus' }], { owner: 'alice' });
    const m = open(c, 0, [
      { name: 'power', role: 'sensor', type: 'power', unit: 'W' },
      { name: 'relay', role: 'actuator', type: 'relay', unit: '' },
      { name: 'energy', role: 'sensor', type: 'energy', unit: 'Wh' },
    ]);
    const p = boardProfile(c);
    expect(p.started(AT)).toEqual([{ kind: 'daemon', id: 'b1', type: 'RegisterDaemon', data: { owner: 'alice' } }]);
    const sample = (watts: number, relay: boolean, nowMs: number) => p.sample(m, [{ channel: 'power', value: watts }, { channel: 'relay', value: relay }, { channel: 'energy', value: 3 }], AT, nowMs);
    expect(sample(88.5, true, 0)).toEqual([
      { kind: 'daemon', id: 'b1', type: 'RecordPower', data: { watts: 88.5, at: AT } },
      { kind: 'daemon', id: 'b1', type: 'ConfirmPower', data: { on: true, at: AT } },
    ]);
    expect(sample(6, true, 1000).map((x) => x.type)).toEqual(['RecordPower']);
    expect(sample(0, false, 2000).map((x) => x.type)).toEqual(['RecordPower', 'ConfirmPower']);
  });

  it('patches a Spark block with each channel at its field path', () => {
    const c = board('spark', [{ id: 'master-sensor', bus: 'i2c', address: 0x77, driver: 'bme280', fields: { temperature: 'value', humidity: 'nested/value' } }]);
    const d = open(c, 0, ['temperature', 'humidity', 'pressure'].map((name) => ({ name, role: 'sensor', type: name, unit: '' })));
    const readings = [
      { channel: 'temperature', value: 21.5 },
      { channel: 'humidity', value: 40 },
      { channel: 'pressure', value: 1013 },
    ];
    expect(boardProfile(c).sample(d, readings, AT, 0)).toEqual([{ kind: 'block', id: 'b1:master-sensor', type: 'PatchBlock', data: { data: { value: 21.5, nested: { value: 40 }, pressure: 1013 } } }]);
  });
});
