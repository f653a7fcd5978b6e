import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { builtinDeciders } from '../../src/actors/kinds/index.js';
import { SYSTEM_VIEW_TABLES, changesAfter, createSystemViewProjection, getSystemView, latestSeq, systemViewProjection } from '../../src/projections/systemView.projection.js';
import { batches, fleet, incrementalAndRebuilt, openReadModel, type ReadModel, type StreamEvent } from '../helpers/readModel.js';

const T = (s: number) => new Date(Date.UTC(2024, 4, 1, 12, 0, s)).toISOString();
type Fleet = ReturnType<typeof fleet>;

/** Sends commands decided by the real deciders; the command's `at` (when it has one) is also its decision time. */
const sender = (f: Fleet) => (address: string, type: string, data: Record<string, unknown> = {}, s = 0) => {
  const [kind, id] = address.split('/') as [string, string];
  return f.send(kind, id, type, data, T(s));
};

const hardware = { devices: [{ id: 'light-1', bus: 'gpio', address: 17, driver: 'gpio-out', role: 'actuator' }] };

describe('system view projection (real SQLite store and runner)', () => {
  let rm: ReadModel | undefined;
  afterEach(async () => {
    await rm?.close();
    rm = undefined;
  });

  it('shows reactors with their bus devices and sensors; a sensor under an offline reactor is UNKNOWN until heard from', async () => {
    rm = await openReadModel([systemViewProjection]);
    const send = sender(fleet(builtinDeciders));
    await rm.deliver([
      ...send('reactor/r1', 'ReportDevices', { devices: [{ id: 'temp', bus: 'i2c-1', address: 0x48, driver: 'tmp117' }], at: T(1) }, 1),
      ...send('sensor/r1-temp', 'AttachSensor', { role: 'sensor', type: 'temperature', unit: '°C', parent: 'reactor/r1' }, 1),
      ...send('sensor/r1-temp', 'RecordReading', { value: 21.5, at: T(2) }, 2),
    ]);
    let view = getSystemView(rm.db);
    expect(view.reactors).toHaveLength(1);
    expect(view.reactors[0]).toMatchObject({ id: 'r1', status: 'ONLINE', lastSeen: T(1) });
    expect(view.reactors[0]!.busDevices).toEqual([{ id: 'temp', reactor: 'r1', bus: 'i2c-1', address: 0x48, driver: 'tmp117', status: 'ONLINE', statusChangedAt: T(1), discoveredAt: T(1) }]);
    expect(view.reactors[0]!.devices).toEqual([
      expect.objectContaining({ id: 'r1-temp', address: 'sensor/r1-temp', role: 'sensor', unit: '°C', parent: 'reactor/r1', status: 'ONLINE', value: 21.5, valueAt: T(2), lastSeen: T(2) }),
    ]);

    // The reactor drops off: everything on it is UNKNOWN, its bus devices and the sensor actor alike.
    const seq = latestSeq(rm.db);
    await rm.deliver(send('reactor/r1', 'MarkOffline', { at: T(10), reason: 'connection lost' }, 10));
    view = getSystemView(rm.db);
    expect(view.reactors[0]).toMatchObject({ status: 'OFFLINE', offlineReason: 'connection lost' });
    expect(view.reactors[0]!.busDevices[0]).toMatchObject({ status: 'UNKNOWN', statusChangedAt: T(10) });
    expect(view.reactors[0]!.devices[0]).toMatchObject({ status: 'UNKNOWN', statusChangedAt: T(10), value: 21.5 });
    expect(changesAfter(rm.db, seq).map((c) => [c.kind, c.id, c.change])).toEqual([
      ['reactor', 'r1', { status: 'OFFLINE', statusChangedAt: T(10), offlineReason: 'connection lost' }],
      ['busDevice', 'r1/temp', { status: 'UNKNOWN', statusChangedAt: T(10) }],
      ['sensor', 'r1-temp', { status: 'UNKNOWN', statusChangedAt: T(10) }],
    ]);

    // A reading taken before the outage, delivered late, is the newest value but not a sign of life now;
    // the reactor coming back online confirms nothing either.
    await rm.deliver([...send('sensor/r1-temp', 'RecordReading', { value: 20, at: T(5) }, 11), ...send('reactor/r1', 'MarkOnline', { at: T(12) }, 12)]);
    view = getSystemView(rm.db);
    expect(view.reactors[0]).toMatchObject({ status: 'ONLINE' });
    expect(view.reactors[0]!.devices[0]).toMatchObject({ status: 'UNKNOWN', value: 20, valueAt: T(5) });
    expect(view.reactors[0]!.busDevices[0]).toMatchObject({ status: 'UNKNOWN' });

    // A new reading and the next scan do.
    await rm.deliver([
      ...send('sensor/r1-temp', 'RecordReading', { value: 22, at: T(13) }, 13),
      ...send('reactor/r1', 'ReportDevices', { devices: [{ id: 'temp', bus: 'i2c-1', address: 0x48 }], at: T(14) }, 14),
    ]);
    view = getSystemView(rm.db);
    expect(view.reactors[0]!.devices[0]).toMatchObject({ status: 'ONLINE', value: 22, valueAt: T(13), statusChangedAt: expect.any(String) });
    expect(view.reactors[0]!.busDevices[0]).toMatchObject({ status: 'ONLINE', statusChangedAt: T(14) });
  });

  it('keeps a sensor UNKNOWN while its reactor is OFFLINE, even when a fresh reading arrives; the reading counts once the reactor is back', async () => {
    rm = await openReadModel([systemViewProjection]);
    const send = sender(fleet(builtinDeciders));
    await rm.deliver([
      ...send('reactor/r1', 'MarkOnline', { at: T(0) }, 0),
      ...send('sensor/s1', 'AttachSensor', { role: 'sensor', type: 'ph', unit: 'pH', parent: 'reactor/r1' }, 0),
      ...send('sensor/s1', 'RecordReading', { value: 7, at: T(1) }, 1),
      ...send('reactor/r1', 'MarkOffline', { at: T(2) }, 2),
      ...send('sensor/s1', 'RecordReading', { value: 6.8, at: T(3) }, 3),
    ]);
    expect(getSystemView(rm.db).reactors[0]!.devices[0]).toMatchObject({ status: 'UNKNOWN', statusChangedAt: T(2), value: 6.8, lastSeen: T(3) });
    await rm.deliver(send('reactor/r1', 'MarkOnline', { at: T(4) }, 4));
    expect(getSystemView(rm.db).reactors[0]!.devices[0]).toMatchObject({ status: 'ONLINE', value: 6.8 });
  });

  it('shows nodes with their devices, gateways with dependents and firmware, daemons and blocks', async () => {
    rm = await openReadModel([systemViewProjection]);
    const send = sender(fleet(builtinDeciders));
    await rm.deliver([
      ...send('node/n1', 'RegisterNode', { serial: 'SN-1', name: 'kitchen', description: '', hardware }, 0),
      ...send('node/n1', 'MarkOnline', { at: T(1) }, 1),
      ...send('sensor/n1-light-1', 'AttachSensor', { role: 'actuator', type: 'light', unit: '', parent: 'node/n1' }, 1),
      ...send('sensor/n1-light-1', 'SetValue', { value: 1 }, 2),
      ...send('sensor/n1-light-1', 'ReportValue', { value: 1, at: T(3) }, 3),
      ...send('gateway/g1', 'GatewayStarted', { devices: [], at: T(0) }, 0),
      ...send('gateway/g1', 'DetectDevice', { localId: 'mb-1', boardType: 'microbit', at: T(1) }, 1),
      ...send('gateway/g1', 'ProvisionDevice', { localId: 'mb-1', name: 'left', application: 'microbit' }, 2),
      ...send('gateway/g1', 'SetTargetFirmware', { localId: 'mb-1', commit: 'b0c34f7', maxAttempts: 3 }, 3),
      ...send('gateway/g1', 'StartUpdateAttempt', { localId: 'mb-1', attempt: 1, timeoutMs: 60_000, at: T(4) }, 4),
      ...send('gateway/g1', 'ReportUpdateProgress', { localId: 'mb-1', attempt: 1, percent: 40, at: T(5) }, 5),
      ...send('daemon/paddy-1', 'RegisterDaemon', { owner: 'user-7' }, 0),
      ...send('daemon/paddy-1', 'SwitchPower', { on: true }, 1),
      ...send('daemon/paddy-1', 'ConfirmPower', { on: true, at: T(2) }, 2),
      ...send('daemon/paddy-1', 'RecordPower', { watts: 60.5, at: T(3) }, 3),
      ...send('block/spark-master:sensor', 'WriteBlock', { data: { value: 1 } }, 0),
      ...send('block/spark-master:sensor', 'BecomeMaster', { interval: 5 }, 1),
      ...send('sensor/stray', 'AttachSensor', { role: 'sensor', type: 'motion', unit: '', parent: 'node/n9' }, 1),
    ]);
    const view = getSystemView(rm.db);
    expect(view.nodes).toEqual([
      expect.objectContaining({
        id: 'n1',
        serial: 'SN-1',
        name: 'kitchen',
        status: 'ONLINE',
        hardware,
        devices: [expect.objectContaining({ id: 'n1-light-1', role: 'actuator', status: 'ONLINE', value: 1, valueAt: T(3), desired: expect.objectContaining({ value: 1, status: 'confirmed' }) })],
      }),
    ]);
    expect(view.gateways[0]).toMatchObject({ id: 'g1', status: 'ONLINE', startedAt: T(0), targetStatus: 'Running' });
    expect(view.gateways[0]!.dependents).toEqual([
      expect.objectContaining({
        localId: 'mb-1',
        gateway: 'g1',
        status: 'ONLINE',
        provisioned: { name: 'left', application: 'microbit' },
        firmware: { current: null, target: 'b0c34f7', update: { status: 'updating', attempt: 1, attemptsUsed: 1, maxAttempts: 3, progress: 40, deadline: '2024-05-01T12:01:04.000Z', lastError: null } },
      }),
    ]);
    expect(view.daemons).toEqual([
      { id: 'paddy-1', owner: 'user-7', power: 'on', powerConfirmedAt: T(2), desired: expect.objectContaining({ power: 'on', status: 'confirmed' }), watts: 60.5, wattsAt: T(3), status: 'ONLINE' },
    ]);
    expect(view.blocks).toEqual([{ id: 'spark-master:sensor', data: { value: 1 }, role: 'master', key: 'spark-master.sensor', interval: 5, translations: null, lastSync: null }]);
    expect(view.orphans.map((d) => d.id)).toEqual(['stray']);
    expect(view.seq).toBe(latestSeq(rm.db));

    // The gateway restarts mid-update: the attempt fails visibly and devices it does not list are offline.
    const seq = latestSeq(rm.db);
    await rm.deliver([...send('gateway/g1', 'MarkOffline', { at: T(6) }, 6)]);
    expect(getSystemView(rm.db).gateways[0]!.dependents[0]).toMatchObject({ status: 'UNKNOWN' });
    await rm.deliver([...send('gateway/g1', 'GatewayStarted', { devices: [], at: T(7) }, 7)]);
    const dep = getSystemView(rm.db).gateways[0]!.dependents[0]!;
    expect(dep).toMatchObject({ status: 'OFFLINE', firmware: { update: { status: 'pending', lastError: 'gateway restarted during update', attempt: null } } });
    expect(changesAfter(rm.db, seq).map((c) => `${c.kind}/${c.id}`)).toEqual(['gateway/g1', 'dependent/g1/mb-1', 'gateway/g1', 'dependent/g1/mb-1', 'dependent/g1/mb-1']);

    // Node death: its devices are UNKNOWN.
    await rm.deliver(send('node/n1', 'MarkOffline', { at: T(8) }, 8));
    expect(getSystemView(rm.db).nodes[0]!.devices).toEqual([expect.objectContaining({ status: 'UNKNOWN', statusChangedAt: T(8) })]);
  });

  it('records a delta only for what changed, and pages the feed', async () => {
    rm = await openReadModel([systemViewProjection]);
    const send = sender(fleet(builtinDeciders));
    await rm.deliver([
      ...send('sensor/s1', 'AttachSensor', { role: 'sensor', type: 't', unit: 'C', parent: 'reactor/r1' }, 0),
      ...send('sensor/s1', 'RecordReading', { value: 1, at: T(5) }, 5),
    ]);
    const seq = latestSeq(rm.db);
    const changes = changesAfter(rm.db, 0);
    expect(changes.map((c) => c.seq)).toEqual([1, 2, 3]);
    expect(changes[0]).toMatchObject({ kind: 'sensor', id: 's1', change: expect.objectContaining({ status: 'UNKNOWN', value: null }) });
    // The first reading brings the sensor online (SensorWentOnline), then records the value.
    expect(changes[1]!.change).toEqual({ status: 'ONLINE', statusChangedAt: T(5), lastSeen: T(5) });
    expect(changes[2]!.change).toEqual({ value: 1, valueAt: T(5) });
    expect(changesAfter(rm.db, 1, 1).map((c) => c.seq)).toEqual([2]);

    // A late reading changes the sensor's state but nothing the view shows: no delta.
    await rm.deliver(send('sensor/s1', 'RecordReading', { value: 0, at: T(1) }, 6));
    expect(latestSeq(rm.db)).toBe(seq);
  });

  it('keeps the feed bounded, deleting the oldest deltas by seq', async () => {
    rm = await openReadModel([createSystemViewProjection({ feedLimit: 5 })]);
    const send = sender(fleet(builtinDeciders));
    const events: StreamEvent[] = send('daemon/d1', 'RegisterDaemon', { owner: 'u' }, 0);
    for (let i = 1; i <= 20; i++) events.push(...send('daemon/d1', 'RecordPower', { watts: i, at: T(i) }, i));
    await rm.deliver(events);
    expect(latestSeq(rm.db)).toBe(21);
    expect(changesAfter(rm.db, 0).map((c) => c.seq)).toEqual([17, 18, 19, 20, 21]);
    expect(changesAfter(rm.db, 20)[0]!.change).toEqual({ watts: 20, wattsAt: T(20) });
    expect(() => createSystemViewProjection({ feedLimit: 0 })).toThrow(RangeError);
  });

  describe('rebuilt from zero is byte-identical to the incremental result', () => {
    const at = fc.integer({ min: 0, max: 40 }).map(T);
    const c = (address: string, type: string, data: fc.Arbitrary<Record<string, unknown>> = fc.constant({})) => fc.record({ address: fc.constant(address), type: fc.constant(type), data });
    const local = fc.constantFrom('a', 'b');
    const command = fc.oneof(
      c('node/n1', 'RegisterNode', fc.constant({ serial: 'S1', name: 'n', description: '', hardware })),
      c('node/n1', 'MarkOffline', fc.record({ at })),
      c('node/n1', 'Heartbeat', fc.record({ at })),
      c('reactor/r1', 'ReportDevices', fc.record({ devices: fc.subarray([{ id: 't', bus: 'i2c-1', address: 72 }, { id: 'p', bus: 'i2c-1', address: 99 }]), at })),
      c('reactor/r1', 'MarkOffline', fc.record({ at })),
      c('reactor/r1', 'MarkOnline', fc.record({ at })),
      c('sensor/s1', 'AttachSensor', fc.constant({ role: 'sensor', type: 't', unit: 'C', parent: 'reactor/r1' })),
      c('sensor/s1', 'RecordReading', fc.record({ value: fc.integer({ min: 0, max: 9 }), at })),
      c('sensor/s1', 'MarkOffline', fc.record({ at })),
      c('sensor/s2', 'AttachSensor', fc.constant({ role: 'actuator', type: 'light', unit: '', parent: 'node/n1' })),
      c('sensor/s2', 'SetValue', fc.record({ value: fc.integer({ min: 0, max: 1 }) })),
      c('sensor/s2', 'ReportValue', fc.record({ value: fc.integer({ min: 0, max: 1 }), at })),
      c('sensor/s3', 'AttachSensor', fc.constant({ role: 'sensor', type: 'rssi', unit: 'dB', parent: 'gateway/g1' })),
      c('gateway/g1', 'GatewayStarted', fc.record({ devices: fc.subarray([{ localId: 'a', online: true }, { localId: 'b', online: false }]), at })),
      c('gateway/g1', 'MarkOffline', fc.record({ at })),
      c('gateway/g1', 'DetectDevice', fc.record({ localId: local, boardType: fc.constant('esp32'), at })),
      c('gateway/g1', 'ProvisionDevice', fc.record({ localId: local, name: fc.constant('x'), application: fc.constant('app') })),
      c('gateway/g1', 'SetTargetFirmware', fc.record({ localId: local, commit: fc.constantFrom('c1', 'c2'), maxAttempts: fc.constant(2) })),
      c('gateway/g1', 'StartUpdateAttempt', fc.record({ localId: local, attempt: fc.integer({ min: 1, max: 2 }), timeoutMs: fc.constant(1000), at })),
      c('gateway/g1', 'ReportUpdateProgress', fc.record({ localId: local, attempt: fc.integer({ min: 1, max: 2 }), percent: fc.integer({ min: 1, max: 100 }), at })),
      c('gateway/g1', 'CompleteUpdate', fc.record({ localId: local, attempt: fc.integer({ min: 1, max: 2 }), at })),
      c('gateway/g1', 'FailUpdateAttempt', fc.record({ localId: local, attempt: fc.integer({ min: 1, max: 2 }), error: fc.constant('e'), at })),
      c('gateway/g1', 'RequestDelete', fc.record({ localId: local })),
      c('gateway/g1', 'ConfirmDelete', fc.record({ localId: local, at })),
      c('daemon/d1', 'RegisterDaemon', fc.constant({ owner: 'u' })),
      c('daemon/d1', 'RecordPower', fc.record({ watts: fc.integer({ min: 0, max: 99 }), at })),
      c('daemon/d1', 'ConfirmPower', fc.record({ on: fc.boolean(), at })),
      c('block/s:m', 'WriteBlock', fc.record({ data: fc.record({ value: fc.integer({ min: 0, max: 9 }) }) })),
      c('block/s:m', 'BecomeMaster', fc.record({ interval: fc.integer({ min: 1, max: 9 }) })),
    );
    // Every actor exists first, so most random commands are decided rather than refused.
    const setup = [
      { address: 'node/n1', type: 'RegisterNode', data: { serial: 'S1', name: 'n', description: '', hardware } },
      { address: 'sensor/s1', type: 'AttachSensor', data: { role: 'sensor', type: 't', unit: 'C', parent: 'reactor/r1' } },
      { address: 'sensor/s2', type: 'AttachSensor', data: { role: 'actuator', type: 'light', unit: '', parent: 'node/n1' } },
      { address: 'gateway/g1', type: 'DetectDevice', data: { localId: 'a', boardType: 'esp32', at: T(0) } },
      { address: 'daemon/d1', type: 'RegisterDaemon', data: { owner: 'u' } },
    ];
    const property = (feedLimit: number) =>
      fc.asyncProperty(fc.array(command, { minLength: 20, maxLength: 120 }), fc.array(fc.nat(), { maxLength: 8 }), async (commands, cuts) => {
        const send = sender(fleet(builtinDeciders));
        const events = [...setup, ...commands].flatMap((x, i) => send(x.address, x.type, x.data, i));
        const { incremental, rebuilt } = await incrementalAndRebuilt(createSystemViewProjection({ feedLimit }), SYSTEM_VIEW_TABLES, batches(events, cuts));
        expect(rebuilt).toBe(incremental);
      });

    it('with the default feed bound', async () => {
      await fc.assert(property(100_000), { numRuns: 20 });
    });

    it('with a feed bound small enough to prune', async () => {
      await fc.assert(property(7), { numRuns: 15 });
    });
  });
});
