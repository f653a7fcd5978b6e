import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnControlPlane, type ControlPlaneProcess } from '../helpers/controlPlaneProcess.js';
import { eventually, tempDir } from '../helpers/nats.js';
import { api, runToFailure, spawnWorker, writeJson, type WorkerProcess } from './edge.helpers.js';

/**
 * `edgeplane edge --simulate` as real processes against a real control plane process: every
 * bus and driver of a hardware.json produces events, actuations go API → NATS → worker →
 * simulated chip → read-back → confirmed, a plug switches and its power follows, a gateway
 * flashes a dependent over simulated BLE, and a wrong hardware.json is refused naming the field.
 */
describe('edge worker processes', () => {
  const dir = tempDir('ep-edge-e2e-');
  let cp: ControlPlaneProcess;
  let http: ReturnType<typeof api>;
  const workers: WorkerProcess[] = [];
  const start = (name: string, config: object) => {
    const w = spawnWorker(writeJson(dir.path, `${name}.json`, config), { args: ['--simulate'], logFile: join(dir.path, `${name}.log`) });
    workers.push(w);
    return w;
  };
  const board = (kind: string, id: string) => ({ board: { kind, id }, nats: { url: cp.runtime.natsUrl }, buffer: { dir: `buffer-${id}` } });

  beforeAll(async () => {
    mkdirSync(join(dir.path, 'cp'));
    cp = await spawnControlPlane({ dataDir: join(dir.path, 'cp') });
    http = api(cp.runtime.httpUrl!);
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.kill9()));
    await cp?.stop();
    dir.cleanup();
  });

  const reactor = () => ({
    ...board('reactor', 'e2e-r1'),
    heartbeatMs: 1000,
    devices: [
      { id: 't1', bus: 'i2c', address: '0x48', driver: 'tmp102', intervalMs: 200 },
      { id: 'env', bus: 'i2c', address: 0x76, driver: 'bme280', intervalMs: 200 },
      { id: 'adc', bus: 'i2c', address: '0x49', driver: 'ads1115', intervalMs: 300, options: { inputs: [{ mux: 'ain0' }, { mux: 'ain1' }] } },
      { id: 'io', bus: 'i2c', address: '0x20', driver: 'mcp23017', intervalMs: 200, options: { pins: { gpa0: { mode: 'input' }, gpb0: { mode: 'output' } } } },
      { id: 'pwm', bus: 'i2c', address: '0x40', driver: 'pca9685', intervalMs: 200, channels: ['ch0', 'ch1'] },
      { id: 'meter', bus: 'serial', path: '/dev/ttyUSB0', address: 1, driver: 'modbus', intervalMs: 200 },
      {
        id: 'console',
        bus: 'serial',
        path: '/dev/ttyACM0',
        driver: 'jsonlines',
        intervalMs: 100,
        options: { channels: [{ name: 'motion', role: 'sensor', type: 'motion', unit: '' }] },
        simulate: { values: { motion: { square: { low: 0, high: 8, periodMs: 1000 } } } },
      },
      {
        id: 'climate',
        bus: 'ble',
        serviceUuid: '181a',
        address: 'c0:ff:ee:00:00:10',
        driver: 'gatt',
        intervalMs: 300,
        options: {
          characteristics: [
            { name: 'temperature', uuid: '2a6e', role: 'sensor', type: 'temperature', unit: '°C', format: 'int16le', scale: 0.01 },
            { name: 'fan', uuid: 'ff01', role: 'actuator', type: 'pwm', unit: '%', format: 'uint8' },
          ],
        },
      },
    ],
  });
  // One channel → sensor/<device>; several → sensor/<device>:<channel>.
  const SENSORS = ['t1', 'env:temperature', 'env:pressure', 'env:humidity', 'adc:ain0', 'adc:ain1', 'io:gpa0', 'meter:power', 'meter:energy', 'console', 'climate:temperature'];
  const ACTUATORS = ['io:gpb0', 'pwm:ch0', 'pwm:ch1', 'meter:relay', 'climate:fan'];
  let r1: WorkerProcess;

  it('runs a hardware.json on simulated chips: every device of every bus reports, as events, under the reactor', async () => {
    r1 = start('reactor', reactor());
    const discovered = await eventually(
      async () => {
        const es = (await http.events('reactor', 'e2e-r1')).filter((e) => e.type === 'DeviceDiscovered').map((e) => e.data);
        expect(es).toHaveLength(8);
        return es;
      },
      { timeoutMs: 20_000, intervalMs: 250 },
    );
    // The I2C scan told each chip by its registers; the serial and BLE devices are listed as open.
    expect(Object.fromEntries(discovered.map((d) => [d.deviceId, [d.bus, d.address, d.driver]]))).toEqual({
      t1: ['i2c-1', 0x48, 'tmp102'],
      env: ['i2c-1', 0x76, 'bme280'],
      adc: ['i2c-1', 0x49, 'ads1115'],
      io: ['i2c-1', 0x20, 'mcp23017'],
      pwm: ['i2c-1', 0x40, 'pca9685'],
      meter: ['serial', '1', 'modbus'],
      console: ['serial', '/dev/ttyACM0', 'jsonlines'],
      climate: ['ble', 'c0:ff:ee:00:00:10', 'gatt'],
    });

    const readings = new Map<string, unknown[]>();
    await eventually(
      async () => {
        for (const id of SENSORS) {
          const es = await http.events('sensor', id);
          expect(es[0], id).toMatchObject({ type: 'SensorAttached', data: { role: 'sensor', parent: 'reactor/e2e-r1' } });
          const values = es.filter((e) => e.type === 'ReadingRecorded').map((e) => e.data.value);
          expect(values.length, id).toBeGreaterThanOrEqual(3);
          readings.set(id, values);
        }
        for (const id of ACTUATORS) {
          const es = await http.events('sensor', id);
          expect(es[0], id).toMatchObject({ type: 'SensorAttached', data: { role: 'actuator', parent: 'reactor/e2e-r1' } });
          expect(es.some((e) => e.type === 'ActuatorValueReported'), id).toBe(true);
        }
      },
      { timeoutMs: 20_000, intervalMs: 500 },
    );
    // Plausible values, through the real drivers' decoding.
    const within = (id: string, lo: number, hi: number) => expect((readings.get(id) as number[]).every((v) => v >= lo && v <= hi), `${id}: ${readings.get(id)}`).toBe(true);
    within('t1', 15, 30);
    within('env:temperature', 15, 30);
    within('env:pressure', 950, 1070);
    within('env:humidity', 20, 80);
    within('adc:ain0', 0, 4.1);
    within('meter:power', 0, 200);
    within('climate:temperature', 10, 35);
    // A configured square wave, sampled: the values change.
    expect(new Set(readings.get('console'))).toEqual(new Set([0, 8]));
    expect(r1.lines().filter((l) => l.level >= 40)).toEqual([]);
  });

  it('applies SetValue from the API on the simulated PCA9685 and confirms it with the value read back', async () => {
    const asked = await http.call('POST', '/v1/actors/sensor/pwm:ch0/commands', { type: 'SetValue', data: { value: 0.25 } });
    expect(asked.status).toBe(200);
    const requestId = asked.body.events.find((e: { type: string }) => e.type === 'ValueRequested').data.requestId;
    const es = await eventually(
      async () => {
        const all = await http.events('sensor', 'pwm:ch0');
        expect(all.some((e) => e.type === 'DesiredValueConfirmed')).toBe(true);
        return all;
      },
      { timeoutMs: 10_000, intervalMs: 100 },
    );
    expect(es.find((e) => e.type === 'DesiredValueConfirmed')?.data).toMatchObject({ requestId, value: 0.25 });
    // The confirmation is the board's (a buffer record id), carrying the duty read back from LED0's registers.
    const report = es.findLast((e) => e.type === 'ActuatorValueReported')!;
    expect(report.data.value).toBe(0.25);
    expect(report.metadata.commandId).toMatch(/^[0-9a-f]{16}-\d+$/);
    expect(r1.lines().find((l) => l.msg === 'actuator set')).toMatchObject({ sensor: 'pwm:ch0', requestId, value: 0.25, readBack: 0.25 });
    expect((await http.call('GET', '/v1/actors/sensor/pwm:ch0')).body.state.desired).toMatchObject({ status: 'confirmed', value: 0.25 });

    // A sensor is refused at the API; nothing reaches the board.
    const refused = await http.call('POST', '/v1/actors/sensor/t1/commands', { type: 'SetValue', data: { value: 1 } });
    expect(refused).toMatchObject({ status: 422, body: { code: 'ERR_SENSOR_READ_ONLY' } });
  });

  it('stops cleanly on SIGTERM with everything it took delivered', async () => {
    expect(await r1.stop()).toBe(0);
    const last = r1.lines().at(-1)!;
    expect(last).toMatchObject({ msg: 'edge worker stopped', pending: 0, dropped: 0 });
    expect(last.deliveredSeq).toBe(last.durableSeq);
  });

  it('switches a smart plug from the API: ConfirmPower from the Modbus relay, then the power curve drops to 0', async () => {
    const plug = start('plug', { ...board('daemon', 'e2e-plug'), board: { kind: 'daemon', id: 'e2e-plug', owner: 'alice' }, devices: [{ id: 'm', bus: 'serial', path: '/dev/ttyUSB0', address: 1, driver: 'modbus', intervalMs: 200 }] });
    await eventually(
      async () => {
        const s = (await http.call('GET', '/v1/actors/daemon/e2e-plug')).body?.state;
        expect(s).toMatchObject({ owner: 'alice', on: true });
        expect(s.lastPower.watts).toBeGreaterThan(0);
      },
      { timeoutMs: 15_000, intervalMs: 200 },
    );
    const switched = await http.call('POST', '/v1/daemons/e2e-plug/power', { on: false });
    expect(switched.status).toBeLessThan(300);
    const es = await eventually(
      async () => {
        const all = await http.events('daemon', 'e2e-plug');
        const off = all.findIndex((e) => e.type === 'PowerConfirmed' && e.data.on === false);
        expect(off).toBeGreaterThan(0);
        expect(all.slice(off).filter((e) => e.type === 'PowerRecorded').length).toBeGreaterThanOrEqual(2);
        return all.slice(off);
      },
      { timeoutMs: 10_000, intervalMs: 200 },
    );
    expect(es[0]!.data.requestId).toBe(switched.body.commandId);
    expect(es.filter((e) => e.type === 'PowerRecorded').map((e) => e.data.watts)).toEqual(expect.arrayContaining([0]));
    expect(es.filter((e) => e.type === 'PowerRecorded').at(-1)!.data.watts).toBe(0);
    expect(await plug.stop()).toBe(0);
  });

  it('detects a gateway dependent over simulated BLE and flashes it end to end (progress, then completed)', async () => {
    const gw = start('gateway', {
      ...board('gateway', 'e2e-gw'),
      scanIntervalMs: 2000,
      dependents: { scanMs: 400, boardType: 'nrf52840' },
      devices: [],
      simulation: { firmwareBytes: 8192, latencyMs: 1, dependents: [{ address: 'd0:00:00:00:00:01', localName: 'valve-1' }] },
    });
    const localId = 'd00000000001';
    await eventually(async () => expect((await http.call('GET', `/v1/gateways/e2e-gw/devices/${localId}`)).body).toMatchObject({ BoardType: 'nrf52840', Online: true }), { timeoutMs: 15_000, intervalMs: 200 });
    expect((await http.call('POST', '/v1/actors/gateway/e2e-gw/commands', { type: 'ProvisionDevice', data: { localId, name: 'valve-1', application: 'greenhouse' } })).status).toBe(200);
    expect((await http.call('PUT', `/v1/gateways/e2e-gw/devices/${localId}/firmware`, { commit: 'v2.0.0' })).status).toBe(200);
    const es = await eventually(
      async () => {
        const all = await http.events('gateway', 'e2e-gw');
        expect(all.some((e) => e.type === 'UpdateCompleted')).toBe(true);
        return all;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    const progress = es.filter((e) => e.type === 'UpdateProgressReported').map((e) => e.data.percent);
    expect(progress.length).toBeGreaterThan(1);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(es.find((e) => e.type === 'UpdateCompleted')!.data).toMatchObject({ localId, commit: 'v2.0.0', attempt: 1 });
    expect((await http.call('GET', `/v1/gateways/e2e-gw/devices/${localId}`)).body).toMatchObject({ Commit: 'v2.0.0', Status: 'Idle' });
    expect(await gw.stop()).toBe(0);
  });

  describe('a wrong hardware.json fails at start, naming the field', () => {
    const base = () => ({ board: { kind: 'reactor', id: 'bad' }, nats: { url: 'nats://127.0.0.1:1' }, buffer: { dir: 'buffer-bad' } });
    const i2c = (over: object = {}) => ({ id: 't1', bus: 'i2c', address: '0x48', driver: 'tmp102', ...over });
    const cases: Array<[string, unknown, string]> = [
      ['an unknown driver, by name', { ...base(), devices: [i2c(), i2c({ id: 't2', address: 0x49, driver: 'tmp103' })] }, 'devices[1].driver: unknown I2C driver "tmp103" (known: "tmp102", "bme280", "ads1115", "pca9685", "mcp23017")'],
      ['an address outside 7 bits', { ...base(), devices: [i2c({ address: '0x99' })] }, 'devices[0].address: must be a 7-bit I2C address'],
      ['a typo', { ...base(), devices: [{ ...i2c(), adress: 1 }] }, 'devices[0].adress: is not a known field'],
      ['a bus that does not exist', { ...base(), devices: [i2c({ bus: 'spi' })] }, 'devices[0].bus: must be one of "i2c", "serial", "ble" (got "spi")'],
      ['a serial device without its port', { ...base(), devices: [{ id: 'p', bus: 'serial', driver: 'jsonlines' }] }, 'devices[0].path: a serial device needs its port'],
      ['a Modbus device without a slave id', { ...base(), devices: [{ id: 'p', bus: 'serial', path: '/dev/ttyUSB0', driver: 'modbus' }] }, 'devices[0].address: a Modbus device needs its slave id'],
      ['driver options the driver refuses', { ...base(), devices: [i2c({ driver: 'pca9685', address: 0x40, options: { frequencyHz: 5 } })] }, 'devices[0].options: '],
      ['a channel the driver lacks', { ...base(), devices: [i2c({ driver: 'pca9685', address: 0x40, channels: ['ch16'] })] }, 'devices[0].channels: pca9685 has no channel "ch16"'],
      ['two devices with one id', { ...base(), devices: [i2c(), i2c({ address: 0x49 })] }, 'devices[1].id: "t1" is already the id of devices[0]'],
      ['a missing board', { nats: { url: 'x' }, devices: [] }, 'board: is required'],
      ['a partition count out of range', { ...base(), partitions: 0, devices: [] }, 'partitions: '],
    ];
    it.each(cases)('%s', async (_what, config, field) => {
      const file = writeJson(dir.path, `bad-${Math.random().toString(36).slice(2)}.json`, config);
      const { code, output } = await runToFailure(file, ['--simulate']);
      expect(code).toBe(2);
      expect(output).toContain('ERR_HARDWARE_CONFIG');
      expect(output).toContain(field);
    });

    it('not JSON at all', async () => {
      const file = join(dir.path, 'broken.json');
      writeFileSync(file, '{ "board": ');
      const { code, output } = await runToFailure(file);
      expect(code).toBe(2);
      expect(output).toMatch(/ERR_HARDWARE_CONFIG: .*broken\.json: not valid JSON/);
    });
  });
});
