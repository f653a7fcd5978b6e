import type { NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinDeciders } from '../../src/actors/kinds/index.js';
import type { ControlPlane } from '../../src/main.js';
import { energyReport, firings, getSystemView, mirrorsForKey } from '../../src/projections/index.js';
import type { CommandBus } from '../../src/transport/commandBus.js';
import { startTestControlPlane, type TestControlPlane } from '../helpers/controlPlane.js';
import { eventually } from '../helpers/nats.js';

type Reply = { ok: boolean; error?: { code: string; message: string } };
const decoder = new TextDecoder();

/** Collects what boards receive on their ep.edge subjects. */
function edgeInbox(nc: NatsConnection, subject: string) {
  const got: Array<Record<string, unknown>> = [];
  const sub = nc.subscribe(subject, { callback: (_e, m) => got.push(JSON.parse(decoder.decode(m.data)) as Record<string, unknown>) });
  return { got, stop: () => sub.unsubscribe() };
}

describe('the domain end to end (real NATS, real SQLite, the control plane with its process managers)', () => {
  let t: TestControlPlane;
  let cp: ControlPlane;
  let nc: NatsConnection;
  let bus: CommandBus;
  const ok = async (kind: string, id: string, type: string, data: Record<string, unknown> = {}) => {
    const r = await bus.send<Reply>(kind, id, { type, data });
    expect(r, `${kind}/${id} ${type}: ${JSON.stringify(r.error)}`).toMatchObject({ ok: true });
    return r;
  };

  beforeAll(async () => {
    // Short enough to watch timeouts happen, long enough that a loaded CI box answers a board in time.
    t = await startTestControlPlane(builtinDeciders, { heartbeatTimeoutMs: 2000, otaAttemptTimeoutMs: 1500 });
    ({ cp, nc, bus } = t);
  });
  afterAll(() => t.cleanup());

  it('a reading on a motion sensor fires the interaction, the SetValue reaches the board, and the confirmed firing is recorded with its latency', async () => {
    await ok('reactor', 'r1', 'MarkOnline');
    await ok('sensor', 'motion-1', 'AttachSensor', { role: 'sensor', type: 'motion', unit: '', parent: 'reactor/r1' });
    await ok('sensor', 'light-1', 'AttachSensor', { role: 'actuator', type: 'light', unit: '', parent: 'reactor/r1' });
    await ok('interactions', 'default', 'AddInteraction', {
      id: 'motion-light',
      when: { source: 'sensor/motion-1', op: '>', value: 5 },
      then: { target: 'sensor/light-1', value: 1 },
      roles: { 'sensor/motion-1': 'sensor', 'sensor/light-1': 'actuator' },
    });
    const board = edgeInbox(nc, 'ep.edge.reactor.r1.>');
    await ok('sensor', 'motion-1', 'RecordReading', { value: 3 });
    await ok('sensor', 'motion-1', 'RecordReading', { value: 7 });
    await ok('sensor', 'motion-1', 'RecordReading', { value: 9 }); // still true: no second firing
    await eventually(() => expect(board.got).toHaveLength(1));
    const actuation = board.got[0]!;
    expect(actuation).toMatchObject({ sensor: 'light-1', value: 1 });
    expect(Date.parse(String(actuation.expiresAt))).toBeGreaterThan(Date.now());

    // The board applies it and reports back: the firing is recorded with its latency.
    await ok('sensor', 'light-1', 'ReportValue', { value: 1 });
    await eventually(() => {
      const f = firings(cp.readModels, 'motion-light');
      expect(f).toHaveLength(1);
      expect(f[0]!.latencyMs).toBeGreaterThanOrEqual(0);
      expect(f[0]!.latencyMs).toBeLessThan(5000);
    });
    await new Promise((r) => setTimeout(r, 200));
    expect(board.got).toHaveLength(1);
    board.stop();
  });

  it('a target that is a read-only sensor is refused, with the roles found by the control plane itself', async () => {
    const r = await bus.send<Reply>('interactions', 'default', {
      type: 'AddInteraction',
      data: { id: 'bad-target', when: { source: 'sensor/light-1', op: '==', value: 1 }, then: { target: 'sensor/motion-1', value: 0 } },
    });
    expect(r).toMatchObject({ ok: false, error: { code: 'ERR_INTERACTION_CONFLICT' } });
    expect(r.error!.message).toMatch(/motion-1/);
  });

  it('a conflicting interaction is refused naming the ones involved', async () => {
    const r = await bus.send<Reply>('interactions', 'default', {
      type: 'AddInteraction',
      data: { id: 'flicker', when: { source: 'sensor/motion-1', op: '>', value: 3 }, then: { target: 'sensor/light-1', value: 0 }, roles: { 'sensor/light-1': 'actuator' } },
    });
    expect(r).toMatchObject({ ok: false, error: { code: 'ERR_INTERACTION_CONFLICT' } });
    expect(r.error!.message).toContain('motion-light');
  });

  it('a synced slave block reaches the seed example "after" data, and the mirror shows it with its lag', async () => {
    await ok('block', 'spark-master:master-sensor', 'WriteBlock', { data: { value: 123, other_value: 567, nested: { value: 456, other_value: 890 } } });
    await ok('block', 'spark-slave:dummy-sensor', 'WriteBlock', { data: { targetvalue: 0, value: 0, nested: { target: { thing: 0 }, thang: 0 } } });
    await ok('block', 'spark-slave:dummy-sensor', 'BecomeSlave', { key: 'spark-master.master-sensor', translations: { value: 'targetvalue', 'nested/value': 'nested/target/value' } });
    await ok('block', 'spark-master:master-sensor', 'BecomeMaster', { interval: 1 });
    await eventually(
      async () => {
        const { state } = await cp.host.inspect('block', 'spark-slave:dummy-sensor');
        expect((state as { data: unknown }).data).toEqual({ targetvalue: 123, value: 0, nested: { target: { value: 456, thing: 0 }, thang: 0 } });
      },
      { timeoutMs: 10_000, intervalMs: 100 },
    );
    await eventually(() => {
      const mirror = mirrorsForKey(cp.readModels, 'spark-master.master-sensor');
      expect(mirror?.master?.block).toBe('spark-master:master-sensor');
      expect(mirror?.slaves[0]).toMatchObject({ block: 'spark-slave:dummy-sensor' });
      expect(mirror!.slaves[0]!.lagMs).toBeGreaterThanOrEqual(0);
    });
  });

  it('kWh for a plug reporting 1,000 W every 10 s for an hour is 1.000 kWh', async () => {
    await ok('daemon', 'plug-1', 'RegisterDaemon', { owner: 'alice' });
    const start = Date.parse('2026-11-21T10:00:00.000Z');
    const readings = Array.from({ length: 361 }, (_, i) => ({ type: 'RecordPower', data: { watts: 1000, at: new Date(start + i * 10_000).toISOString() } }));
    const replies = await bus.sendBatch<Reply[]>('daemon', 'plug-1', readings);
    expect(replies.every((r) => r.ok)).toBe(true);
    await cp.projections.waitFor(await cp.store.headPosition());
    const report = energyReport(cp.readModels, 'plug-1', 'hour');
    expect(report.totalKwh).toBeCloseTo(1, 6);
    expect(report.buckets).toHaveLength(1);
    expect(report.buckets[0]!.kwh).toBeCloseTo(1, 6);
  });

  it('the OTA orchestrator starts, times out and retries attempts until the update fails for good, visibly', async () => {
    await ok('gateway', 'gw1', 'MarkOnline', { devices: [] });
    await ok('gateway', 'gw1', 'DetectDevice', { localId: 'mcu-1', boardType: 'nrf52' });
    await ok('gateway', 'gw1', 'ProvisionDevice', { localId: 'mcu-1', name: 'Kitchen', application: 'thermo' });
    const board = edgeInbox(nc, 'ep.edge.gateway.gw1.ota');
    // The device stays reachable (each scan of its gateway lists it online) but never finishes a flash.
    const alive = setInterval(() => void bus.send('gateway', 'gw1', { type: 'MarkOnline', data: { devices: [{ localId: 'mcu-1', online: true }] } }), 150);
    await ok('gateway', 'gw1', 'SetTargetFirmware', { localId: 'mcu-1', commit: 'abc123', maxAttempts: 3 });
    await eventually(
      async () => {
        const events = await cp.store.readStream('gateway-gw1');
        expect(events.map((e) => e.type)).toContain('UpdateFailed');
      },
      // 3 attempts of 1.5 s, each failed by a sweep up to 0.5 s later.
      { timeoutMs: 20_000, intervalMs: 100 },
    );
    clearInterval(alive);
    const events = await cp.store.readStream('gateway-gw1');
    expect(events.filter((e) => e.type === 'UpdateAttemptStarted').map((e) => (e.data as { attempt: number }).attempt)).toEqual([1, 2, 3]);
    expect(events.filter((e) => e.type === 'UpdateAttemptFailed').every((e) => /Timed out/.test((e.data as { error: string }).error))).toBe(true);
    // Liveness never took the gateway or its device offline: the unchanged restatements kept both alive.
    expect(events.filter((e) => e.type === 'GatewayWentOffline' || e.type === 'DependentDeviceStatusChanged')).toEqual([]);
    await eventually(() => expect(board.got.map((m) => m.attempt)).toEqual([1, 2, 3]));
    board.stop();
  });

  it('an update whose device went offline between attempts resumes when the device is back', async () => {
    await ok('gateway', 'gw3', 'MarkOnline', { devices: [] });
    await ok('gateway', 'gw3', 'DetectDevice', { localId: 'mcu-3', boardType: 'nrf52' });
    await ok('gateway', 'gw3', 'ProvisionDevice', { localId: 'mcu-3', name: 'Attic', application: 'thermo' });
    // The gateway heartbeats (so liveness keeps it online) but never lists mcu-3 again: attempts
    // time out, liveness marks the device offline, the next attempt is refused.
    const alive = setInterval(() => void bus.send('gateway', 'gw3', { type: 'Heartbeat', data: {} }), 150);
    await ok('gateway', 'gw3', 'SetTargetFirmware', { localId: 'mcu-3', commit: 'fff000', maxAttempts: 10 });
    // Wait until an attempt failed after the device went offline: its retry was refused, so the
    // update is waiting between attempts (the device may go offline while an attempt still runs).
    await eventually(
      async () => {
        const events = await cp.store.readStream('gateway-gw3');
        const offline = events.findIndex((e) => e.type === 'DependentDeviceStatusChanged' && (e.data as { online: boolean }).online === false);
        expect(offline).toBeGreaterThanOrEqual(0);
        expect(events.findLastIndex((e) => e.type === 'UpdateAttemptFailed')).toBeGreaterThan(offline);
      },
      { timeoutMs: 15_000, intervalMs: 100 },
    );
    const startedBefore = (await cp.store.readStream('gateway-gw3')).filter((e) => e.type === 'UpdateAttemptStarted').length;
    await ok('gateway', 'gw3', 'ReportDeviceStatus', { localId: 'mcu-3', online: true });
    await eventually(async () => {
      const started = (await cp.store.readStream('gateway-gw3')).filter((e) => e.type === 'UpdateAttemptStarted').length;
      expect(started).toBeGreaterThan(startedBefore);
    });
    await ok('gateway', 'gw3', 'CompleteUpdate', { localId: 'mcu-3', attempt: startedBefore + 1 });
    clearInterval(alive);
    const types = (await cp.store.readStream('gateway-gw3')).map((e) => e.type);
    expect(types).toContain('UpdateCompleted');
    expect(types).not.toContain('GatewayWentOffline');
  });

  it('an update that the board completes is done after one attempt', async () => {
    await ok('gateway', 'gw2', 'MarkOnline', { devices: [] });
    await ok('gateway', 'gw2', 'DetectDevice', { localId: 'mcu-2', boardType: 'nrf52' });
    await ok('gateway', 'gw2', 'ProvisionDevice', { localId: 'mcu-2', name: 'Hall', application: 'thermo' });
    const board = edgeInbox(nc, 'ep.edge.gateway.gw2.ota');
    await ok('gateway', 'gw2', 'SetTargetFirmware', { localId: 'mcu-2', commit: 'def456' });
    await eventually(() => expect(board.got).toHaveLength(1));
    await ok('gateway', 'gw2', 'ReportUpdateProgress', { localId: 'mcu-2', attempt: 1, percent: 50 });
    await ok('gateway', 'gw2', 'CompleteUpdate', { localId: 'mcu-2', attempt: 1 });
    // Past the attempt's deadline (1.5 s) and the sweep that would fail it (0.5 s): no retry came.
    await new Promise((r) => setTimeout(r, 2500));
    const types = (await cp.store.readStream('gateway-gw2')).map((e) => e.type);
    expect(types.filter((t) => t === 'UpdateAttemptStarted')).toHaveLength(1);
    expect(types).toContain('UpdateCompleted');
    board.stop();
  });

  it('liveness: a reactor that goes silent is marked offline and its devices become UNKNOWN; the next message brings it back', async () => {
    await ok('reactor', 'r9', 'MarkOnline');
    await ok('reactor', 'r9', 'ReportDevices', { devices: [{ id: 'tmp102-48', bus: 'i2c-1', address: 72, driver: 'tmp102' }] });
    await eventually(
      async () => {
        const types = (await cp.store.readStream('reactor-r9')).map((e) => e.type);
        expect(types).toContain('ReactorWentOffline');
      },
      { timeoutMs: 10_000, intervalMs: 100 },
    );
    await cp.projections.waitFor(await cp.store.headPosition());
    const reactor = getSystemView(cp.readModels).reactors.find((r) => (r as unknown as { id: string }).id === 'r9') as unknown as { status: string; busDevices: Array<{ status: string }> };
    expect(reactor.status).toBe('OFFLINE');
    expect(reactor.busDevices.every((d) => d.status === 'UNKNOWN')).toBe(true);
    await ok('reactor', 'r9', 'Heartbeat');
    const types = (await cp.store.readStream('reactor-r9')).map((e) => e.type);
    expect(types.at(-1)).toBe('ReactorWentOnline');
  });

  it('liveness: a silent smart plug and a silent dependent device go offline; the plug comes back with its next reading', async () => {
    await ok('daemon', 'plug-9', 'RegisterDaemon', { owner: 'carol' });
    await ok('daemon', 'plug-9', 'RecordPower', { watts: 40 });
    await ok('gateway', 'gw9', 'MarkOnline', { devices: [] });
    await ok('gateway', 'gw9', 'DetectDevice', { localId: 'mcu-9', boardType: 'esp32' });
    // The gateway stays alive on its own heartbeat; only its device falls silent.
    const alive = setInterval(() => void bus.send('gateway', 'gw9', { type: 'Heartbeat', data: {} }), 150);
    await eventually(
      async () => {
        expect((await cp.store.readStream('daemon-plug-9')).map((e) => e.type)).toContain('DaemonWentOffline');
        const dep = (await cp.store.readStream('gateway-gw9')).filter((e) => e.type === 'DependentDeviceStatusChanged');
        expect(dep.map((e) => (e.data as { online: boolean }).online)).toContain(false);
      },
      { timeoutMs: 10_000, intervalMs: 100 },
    );
    clearInterval(alive);
    expect((await cp.store.readStream('gateway-gw9')).map((e) => e.type)).not.toContain('GatewayWentOffline');
    await cp.projections.waitFor(await cp.store.headPosition());
    const plug = getSystemView(cp.readModels).daemons.find((d) => (d as unknown as { id: string }).id === 'plug-9') as unknown as { status: string };
    expect(plug.status).toBe('OFFLINE');
    await ok('daemon', 'plug-9', 'RecordPower', { watts: 41 });
    const types = (await cp.store.readStream('daemon-plug-9')).map((e) => e.type);
    expect(types.slice(-2)).toEqual(['DaemonWentOnline', 'PowerRecorded']);
  });
});
