import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinDeciders } from '../../src/actors/kinds/index.js';
import { sensorDecider } from '../../src/actors/kinds/sensor.decider.js';
import { startTestControlPlane, type TestControlPlane } from '../helpers/controlPlane.js';
import { eventually } from '../helpers/nats.js';

/** Real HTTP against the control plane's own API. */
describe('HTTP API (real HTTP, real control plane, real NATS and SQLite)', () => {
  let t: TestControlPlane;
  let base: string;
  const call = async (method: string, path: string, body?: unknown, raw?: string) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: body !== undefined || raw !== undefined ? { 'content-type': 'application/json' } : {},
      body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
    });
    const text = await res.text();
    return { status: res.status, type: res.headers.get('content-type') ?? '', body: text ? (JSON.parse(text) as Record<string, any>) : null };
  };
  const command = (address: string, type: string, data: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => call('POST', `/v1/actors/${address}/commands`, { type, data, ...extra });

  beforeAll(async () => {
    t = await startTestControlPlane(builtinDeciders);
    base = t.cp.httpUrl!;
  });
  afterAll(() => t.cleanup());

  it('publishes its OpenAPI description, built from the routes\' schemas, and the docs UI', async () => {
    const spec = await call('GET', '/docs/json');
    expect(spec.status).toBe(200);
    expect(spec.body!.openapi).toMatch(/^3\./);
    const paths = Object.keys(spec.body!.paths as object);
    for (const p of ['/v1/system/', '/v1/actors/{kind}/{id}/commands', '/v1/actors/{kind}/{id}/state', '/v1/interactions/', '/v1/daemons/{id}/energy', '/v1/stream/']) expect(paths).toContain(p);
    const ui = await fetch(`${base}/docs/static/index.html`);
    expect(ui.status).toBe(200);
  });

  it('/healthz, /readyz (store, NATS, projections caught up) and /metrics in Prometheus text', async () => {
    expect(await call('GET', '/healthz')).toMatchObject({ status: 200, body: { ok: true } });
    await eventually(async () => expect(await call('GET', '/readyz')).toMatchObject({ status: 200, body: { ready: true, checks: { store: { ok: true }, nats: { ok: true }, projections: { ok: true } } } }));
    await command('sensor/mx', 'AttachSensor', { role: 'sensor', type: 't', unit: '', parent: 'reactor/r1' });
    await command('sensor/mx', 'SetValue', { value: 1 });
    const res = await fetch(`${base}/metrics`);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    const metric = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
    expect(metric('edgeplane_commands_total')).toBeGreaterThanOrEqual(2);
    expect(metric('edgeplane_rejections_total')).toBeGreaterThanOrEqual(1);
    expect(metric('edgeplane_events_appended_total')).toBeGreaterThanOrEqual(1);
    expect(metric('edgeplane_append_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(metric('edgeplane_head_position')).toBe(await t.cp.store.headPosition());
    expect(text).toMatch(/^edgeplane_relay_lag_events \d+$/m);
    expect(text).toMatch(/^edgeplane_projection_lag_events \d+$/m);
    // No MQTT bridge here: no edgeplane_mqtt_* series at all (rather than zeros a scrape would sum).
    expect(text).not.toContain('edgeplane_mqtt_');
    // An open API (no keys) answers whoami as the local admin.
    expect(await call('GET', '/v1/whoami')).toMatchObject({ status: 200, body: { user: 'local', role: 'admin', keyed: false } });
  });

  it('runs a command and shows the actor, its events and its state', async () => {
    const r = await command('sensor/t1', 'AttachSensor', { role: 'sensor', type: 'temperature', unit: '°C', parent: 'reactor/r1' });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ revision: 0, events: [{ type: 'SensorAttached', revision: 0 }] });
    for (let i = 0; i < 5; i++) expect((await command('sensor/t1', 'RecordReading', { value: 20 + i })).status).toBe(200);
    const actor = await call('GET', '/v1/actors/sensor/t1');
    expect(actor).toMatchObject({ status: 200, body: { kind: 'sensor', id: 't1', state: { role: 'sensor', lastReading: { value: 24 } } } });
    const page = await call('GET', '/v1/actors/sensor/t1/events?limit=3');
    expect(page.body!.events.map((e: { revision: number }) => e.revision)).toEqual([0, 1, 2]);
    expect(page.body!.next).toBe(3);
    const back = await call('GET', '/v1/actors/sensor/t1/events?direction=backwards&limit=2');
    expect(back.body!.events.map((e: { revision: number }) => e.revision)).toEqual([actor.body!.revision, actor.body!.revision - 1]);
  });

  it('time travel: the state at revision N is the fold of the first N+1 events; ?at= takes the last event at or before it', async () => {
    const { body: all } = await call('GET', '/v1/actors/sensor/t1/events?limit=1000');
    const events = all!.events as Array<{ revision: number; metadata: { timestamp: string } }>;
    for (const n of [0, 2, events.length - 1]) {
      const at = await call('GET', `/v1/actors/sensor/t1/state?revision=${n}`);
      const folded = events.slice(0, n + 1).reduce((s, e) => sensorDecider.evolve(s, e as never), sensorDecider.initialState());
      expect(at.body).toMatchObject({ revision: n, event: { revision: n } });
      expect(at.body!.state).toEqual(JSON.parse(JSON.stringify(folded)));
    }
    const instant = events[2]!.metadata.timestamp;
    const byTime = await call('GET', `/v1/actors/sensor/t1/state?at=${encodeURIComponent(instant)}`);
    expect(byTime.body!.revision).toBe(Math.max(...events.filter((e) => e.metadata.timestamp <= instant).map((e) => e.revision)));
    expect((await call('GET', '/v1/actors/sensor/t1/state?revision=1&at=2026-01-01T00:00:00Z')).status).toBe(400);
  });

  it('refusals: 404 with a code for no stream and unknown kinds, 422 with the domain code, 409 on a stale expectedRevision', async () => {
    expect(await call('GET', '/v1/actors/sensor/nobody')).toMatchObject({ status: 404, body: { code: 'ERR_STREAM_NOT_FOUND' } });
    expect(await call('GET', '/v1/actors/spaceship/x1')).toMatchObject({ status: 404, body: { code: 'ERR_UNKNOWN_KIND' } });
    const readOnly = await command('sensor/t1', 'SetValue', { value: 1 });
    expect(readOnly).toMatchObject({ status: 422, body: { code: 'ERR_SENSOR_READ_ONLY' } });
    expect(readOnly.type).toContain('application/problem+json');
    expect(readOnly.body!.message).toMatch(/read-only|sensor/);
    expect(await command('sensor/t1', 'RecordReading', { value: 1 }, { expectedRevision: 0 })).toMatchObject({ status: 409, body: { code: 'ERR_WRONG_EXPECTED_REVISION' } });
    expect(await command('sensor/t1', 'Teleport')).toMatchObject({ status: 400, body: { code: 'ERR_UNKNOWN_COMMAND' } });
  });

  it('a client-supplied id makes a retry idempotent: same answer, nothing appended twice', async () => {
    const first = await command('sensor/t1', 'RecordReading', { value: 99 }, { id: 'client-retry-1' });
    const again = await command('sensor/t1', 'RecordReading', { value: 99 }, { id: 'client-retry-1' });
    expect(first.status).toBe(200);
    expect(again).toMatchObject({ status: 200, body: { revision: first.body!.revision, duplicate: true } });
    expect(again.body!.events.map((e: { id: string }) => e.id)).toEqual(first.body!.events.map((e: { id: string }) => e.id));
    const events = (await call('GET', '/v1/actors/sensor/t1/events?limit=1000')).body!.events as Array<{ metadata: { commandId: string } }>;
    expect(events.filter((e) => e.metadata.commandId === 'client-retry-1')).toHaveLength(1);
  });

  it('bad input on every kind of field is a clear 4xx, stores nothing, and the server stays healthy after 10,000 of them', async () => {
    const head = await t.cp.store.headPosition();
    const badIds = ['a.b', 'a*', 'a>', 'a b', '..%2F..%2Fetc', '%E2%9C%93', 'x'.repeat(200)];
    for (const id of badIds) {
      const r = await command(`sensor/${id}`, 'RecordReading', { value: 1 });
      expect(r.status, id).toBeGreaterThanOrEqual(400);
      expect(r.status, id).toBeLessThan(500);
      expect(r.body!.code, id).toBeTruthy();
    }
    expect((await call('POST', '/v1/actors/sensor/t1/commands', undefined, '{"type": "RecordReading", "data": ')).status).toBe(400);
    expect((await call('POST', '/v1/actors/sensor/t1/commands', { type: 'RecordReading', data: { value: 1 }, sneaky: true })).status).toBe(400);
    expect((await call('POST', '/v1/actors/sensor/t1/commands', { data: {} })).status).toBe(400);
    expect((await call('POST', '/v1/actors/sensor/t1/commands', { type: 42 })).status).toBe(400);
    expect((await call('POST', '/v1/actors/sensor/t1/commands', { type: 'RecordReading', data: 'text' })).status).toBe(400);
    expect((await call('POST', '/v1/actors/sensor/t1/commands', undefined, JSON.stringify({ type: 'RecordReading', data: { pad: 'x'.repeat(1_100_000) } }))).status).toBe(413);
    expect((await call('GET', '/v1/actors/sensor/t1/events?limit=0')).status).toBe(400);
    expect((await call('GET', '/v1/nowhere')).body).toMatchObject({ code: 'ERR_NOT_FOUND' });
    expect(await t.cp.store.headPosition()).toBe(head);
    // 10,000 bad requests of every kind: each a 4xx, nothing stored, the server still healthy.
    const garbage = [
      (i: number) => call('POST', `/v1/actors/sensor/bad.${i}/commands`, { type: 'RecordReading', data: { value: 1 } }),
      (i: number) => call('POST', `/v1/actors/sensor/ok${i}/commands`, undefined, `{"type": "RecordReading", "data": {${i}`),
      (i: number) => call('POST', `/v1/actors/sensor/ok${i}/commands`, { type: 'RecordReading', data: { value: i }, extra: i }),
      (i: number) => call('POST', `/v1/actors/sensor/ok${i}/commands`, { type: i }),
      (i: number) => call('POST', `/v1/actors/sensor/%20${i}/commands`, { type: 'RecordReading', data: {} }),
      (i: number) => call('GET', `/v1/actors/sensor/ok${i}/events?limit=-${i}`),
      (i: number) => call('POST', '/v1/interactions', { id: `x${i}`, when: { source: `sensor/a.${i}`, op: '>', value: 1 }, then: { target: 'sensor/b', value: 1 } }),
    ];
    const statuses = new Map<number, number>();
    for (let batch = 0; batch < 50; batch++) {
      const results = await Promise.all(Array.from({ length: 200 }, (_, k) => garbage[(batch * 200 + k) % garbage.length]!(batch * 200 + k)));
      for (const r of results) statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
    }
    expect([...statuses.keys()].every((s) => s >= 400 && s < 500)).toBe(true);
    expect([...statuses.values()].reduce((a, b) => a + b, 0)).toBe(10_000);
    expect((await call('GET', '/healthz')).body).toEqual({ ok: true });
    expect(await t.cp.store.headPosition()).toBe(head);
    // Let the write rate limit refill before the next tests.
    await new Promise((r) => setTimeout(r, 2500));
  });

  it('interactions: add (201), conflict (409 naming the others), list, disable, firings, delete', async () => {
    await command('sensor/m1', 'AttachSensor', { role: 'sensor', type: 'pir', unit: '', parent: 'reactor/r1' });
    await command('sensor/l1', 'AttachSensor', { role: 'actuator', type: 'lamp', unit: '', parent: 'reactor/r1' });
    const added = await call('POST', '/v1/interactions', { id: 'ml', when: { source: 'sensor/m1', op: '>', value: 5 }, then: { target: 'sensor/l1', value: 1 } });
    expect(added).toMatchObject({ status: 201, body: { id: 'ml', enabled: true } });
    const conflict = await call('POST', '/v1/interactions', { id: 'flick', when: { source: 'sensor/m1', op: '>', value: 3 }, then: { target: 'sensor/l1', value: 0 } });
    expect(conflict).toMatchObject({ status: 409, body: { code: 'ERR_INTERACTION_CONFLICT' } });
    expect(conflict.body!.message).toContain('ml');
    expect((await call('POST', '/v1/interactions', { id: 'ro', when: { source: 'sensor/l1', op: '==', value: 1 }, then: { target: 'sensor/m1', value: 0 } })).status).toBe(409);
    expect((await call('GET', '/v1/interactions')).body!.interactions.map((i: { id: string }) => i.id)).toEqual(['ml']);
    expect((await call('PUT', '/v1/interactions/ml', { enabled: false })).body).toMatchObject({ enabled: false });
    expect((await call('PUT', '/v1/interactions/ml', { enabled: true })).body).toMatchObject({ enabled: true });
    await command('sensor/m1', 'RecordReading', { value: 9 });
    await command('sensor/l1', 'ReportValue', { value: 1 });
    await eventually(async () => expect((await call('GET', '/v1/interactions/ml/firings')).body!.firings).toHaveLength(1));
    expect((await call('DELETE', '/v1/interactions/ml')).status).toBe(204);
    expect((await call('GET', '/v1/interactions/ml')).body).toMatchObject({ code: 'ERR_INTERACTION_NOT_FOUND' });
    expect((await call('PUT', '/v1/interactions/nope', { enabled: true })).status).toBe(404);
  });

  it('energy per unit over an optional range, and the plug switch', async () => {
    await command('daemon/p1', 'RegisterDaemon', { owner: 'ann' });
    const start = Date.UTC(2026, 10, 21, 10, 0, 0);
    // Every 60 s (the longest gap still integrated) for an hour: 1 kWh.
    for (let i = 0; i <= 60; i++) await command('daemon/p1', 'RecordPower', { watts: 1000, at: new Date(start + i * 60_000).toISOString() });
    await eventually(async () => expect((await call('GET', '/v1/daemons/p1/energy?unit=hour')).body!.totalKwh).toBeCloseTo(1, 6));
    const minutes = await call('GET', `/v1/daemons/p1/energy?unit=minute&from=${new Date(start).toISOString()}&to=${new Date(start + 600_000).toISOString()}`);
    expect(minutes.body!.buckets).toHaveLength(10);
    expect(minutes.body!.totalKwh).toBeCloseTo(1 / 6, 6);
    expect((await call('GET', '/v1/daemons/p1/energy?unit=week')).status).toBe(400);
    expect((await call('GET', '/v1/daemons/ghost/energy')).status).toBe(404);
    expect(await call('POST', '/v1/daemons/p1/power', { on: true })).toMatchObject({ status: 200, body: { requested: 'on' } });
  });

  it("edge-node-manager's routes: enm/status, devices with its field names, firmware target and progress", async () => {
    await command('gateway/gw1', 'MarkOnline', { devices: [] });
    await command('gateway/gw1', 'ReportStatus', { currentStatus: 'Running' });
    await command('gateway/gw1', 'DetectDevice', { localId: '1265892', boardType: 'esp8266' });
    await command('gateway/gw1', 'ProvisionDevice', { localId: '1265892', name: 'holy-sunset', application: '511898' });
    expect(await call('GET', '/v1/gateways/gw1/enm/status')).toMatchObject({ status: 200, body: { currentStatus: 'Running', targetStatus: 'Running' } });
    expect(await call('PUT', '/v1/gateways/gw1/enm/status', { targetStatus: 'Paused' })).toMatchObject({ status: 200, body: { currentStatus: 'Running', targetStatus: 'Paused' } });
    expect((await call('PUT', '/v1/gateways/gw1/enm/status', { targetStatus: 'Sleeping' })).status).toBe(400);
    await call('PUT', '/v1/gateways/gw1/enm/status', { targetStatus: 'Running' });
    const devices = await call('GET', '/v1/gateways/gw1/devices');
    expect(devices.body).toEqual([
      expect.objectContaining({ ApplicationUUID: '511898', BoardType: 'esp8266', Name: 'holy-sunset', LocalUUID: '1265892', Commit: null, Status: 'Idle', RestartFlag: false, DeleteFlag: false }),
    ]);
    expect((await call('GET', '/v1/gateways/gw1/devices/1265892')).body).toMatchObject({ LocalUUID: '1265892' });
    expect(await call('GET', '/v1/gateways/gw1/devices/nope')).toMatchObject({ status: 404, body: { code: 'ERR_DEVICE_NOT_FOUND' } });
    expect(await call('GET', '/v1/gateways/ghost/enm/status')).toMatchObject({ status: 404, body: { code: 'ERR_STREAM_NOT_FOUND' } });
    const target = await call('PUT', '/v1/gateways/gw1/devices/1265892/firmware', { commit: '16b5cd4df8085d2872a6f6fc0c378629a185d78b' });
    expect(target.body).toMatchObject({ TargetCommit: '16b5cd4df8085d2872a6f6fc0c378629a185d78b' });
    await eventually(async () => expect((await call('GET', '/v1/gateways/gw1/devices/1265892/update')).body).toMatchObject({ status: 'updating', attempt: 1 }));
    await command('gateway/gw1', 'ReportUpdateProgress', { localId: '1265892', attempt: 1, percent: 40 });
    expect((await call('GET', '/v1/gateways/gw1/devices/1265892/update')).body).toMatchObject({ status: 'updating', percent: 40 });
  });

  it('blocks: write, patch, read; and the system view with its change feed', async () => {
    expect((await call('PUT', '/v1/blocks/spark/b1', { data: { a: 1, n: { x: 1 } } })).body).toMatchObject({ key: 'spark.b1', data: { a: 1, n: { x: 1 } } });
    expect((await call('PATCH', '/v1/blocks/spark/b1', { data: { n: { y: 2 } } })).body).toMatchObject({ data: { a: 1, n: { x: 1, y: 2 } } });
    expect((await call('GET', '/v1/blocks/spark/none')).status).toBe(404);
    await t.cp.projections.waitFor(await t.cp.store.headPosition());
    const view = await call('GET', '/v1/system');
    expect(view.body!.blocks.map((b: { id: string }) => b.id)).toContain('spark:b1');
    const changes = await call('GET', `/v1/system/changes?after=${view.body!.seq}&wait=2000`);
    expect(changes.status).toBe(200);
    const seq = view.body!.seq as number;
    const waiting = call('GET', `/v1/system/changes?after=${seq}&wait=5000`);
    await command('sensor/t1', 'RecordReading', { value: 5 });
    const delta = await waiting;
    expect(delta.body!.changes.length).toBeGreaterThan(0);
    expect(delta.body!.changes[0].seq).toBeGreaterThan(seq);
  });
});

describe('HTTP API: the live stream (SSE)', () => {
  let t: TestControlPlane;
  beforeAll(async () => {
    t = await startTestControlPlane(builtinDeciders);
  });
  afterAll(() => t.cleanup());

  /**
   * Opens a stream over real HTTP. Resolves once its headers are in: the route writes them only
   * after it has fixed its start position, so whatever is sent from then on is in the stream.
   */
  async function openStream(url: string, headers: Record<string, string> = {}) {
    const res = await fetch(url, { headers });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    return { frames: (type: string, count: number, keep?: (data: Record<string, unknown>) => boolean) => frames(res, type, count, keep) };
  }

  /** Reads SSE frames from a response until `count` frames of `type` have arrived. */
  async function frames(res: Response, type: string, count: number, keep: (data: Record<string, unknown>) => boolean = () => true) {
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    const got: Array<{ id: string; data: Record<string, unknown> }> = [];
    while (got.length < count) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const fields = Object.fromEntries(frame.split('\n').filter((l) => !l.startsWith(':')).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]));
        const data = fields.data === undefined ? undefined : (JSON.parse(fields.data) as Record<string, unknown>);
        if (fields.event === type && data && keep(data)) got.push({ id: fields.id!, data });
      }
    }
    await reader.cancel();
    return got;
  }

  it('streams events live, filtered by kind and id, and resumes from Last-Event-ID without gaps or repeats', async () => {
    const send = (id: string, value: number) =>
      fetch(`${t.cp.httpUrl}/v1/actors/sensor/${id}/commands`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'RecordReading', data: { value } }) });
    await fetch(`${t.cp.httpUrl}/v1/actors/sensor/s1/commands`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'AttachSensor', data: { role: 'sensor', type: 't', unit: '', parent: 'reactor/r1' } }) });
    await fetch(`${t.cp.httpUrl}/v1/actors/sensor/s2/commands`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'AttachSensor', data: { role: 'sensor', type: 't', unit: '', parent: 'reactor/r1' } }) });
    const readings = (d: Record<string, unknown>) => d.type === 'ReadingRecorded';
    const live = (await openStream(`${t.cp.httpUrl}/v1/stream?kind=sensor&id=s1`)).frames('event', 3, readings);
    for (let i = 0; i < 3; i++) {
      await send('s2', i);
      await send('s1', i);
    }
    const got = await live;
    expect(got.map((f) => (f.data as { stream: string }).stream)).toEqual(['sensor-s1', 'sensor-s1', 'sensor-s1']);
    expect(got.map((f) => ((f.data as { data: { value: number } }).data.value))).toEqual([0, 1, 2]);

    // Reconnect after the first: exactly the next two, in order.
    const resumed = await (await openStream(`${t.cp.httpUrl}/v1/stream?kind=sensor&id=s1`, { 'last-event-id': got[0]!.id })).frames('event', 2, readings);
    expect(resumed.map((f) => f.id)).toEqual([got[1]!.id, got[2]!.id]);

    // Keeps up with well over 1,000 events/s for one client.
    const burst = (await openStream(`${t.cp.httpUrl}/v1/stream?kind=sensor&id=s3`)).frames('event', 5000);
    const startedAt = performance.now();
    for (let b = 0; b < 50; b++) {
      await t.cp.store.append('sensor-s3', Array.from({ length: 100 }, (_, k) => ({ id: crypto.randomUUID(), type: 'ReadingRecorded', data: { value: b * 100 + k }, metadata: {} })), 'any');
    }
    const received = await burst;
    const perSecond = 5000 / ((performance.now() - startedAt) / 1000);
    expect(received).toHaveLength(5000);
    expect(received.map((f) => Number(f.id))).toEqual([...received.map((f) => Number(f.id))].sort((a, b) => a - b));
    expect(perSecond).toBeGreaterThan(1000);

    // System-view deltas arrive on the same stream.
    const changes = (await openStream(`${t.cp.httpUrl}/v1/stream?kind=sensor&id=s1`)).frames('change', 1);
    await send('s1', 42);
    expect((await changes)[0]!.data).toMatchObject({ kind: 'sensor', id: 's1' });
  });
});

describe('HTTP API: keys, roles, plug ownership and rate limits', () => {
  let t: TestControlPlane;
  const keys = { viewer: 'viewer-key-0123456789', ann: 'operator-ann-0123456789', bob: 'operator-bob-0123456789', admin: 'admin-key-0123456789ab' };
  const as = (who: keyof typeof keys | 'nobody' | 'forged', method: string, path: string, body?: unknown) =>
    fetch(`${t.cp.httpUrl}${path}`, {
      method,
      headers: {
        ...(who === 'nobody' ? {} : { authorization: `Bearer ${who === 'forged' ? 'not-a-real-key-0000000' : keys[who]}` }),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    }).then(async (r) => ({ status: r.status, body: (await r.json().catch(() => null)) as Record<string, any> | null }));

  beforeAll(async () => {
    const { writeFileSync, mkdtempSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const file = join(mkdtempSync(join(tmpdir(), 'ep-keys-')), 'keys.json');
    writeFileSync(
      file,
      JSON.stringify([
        { key: keys.viewer, role: 'viewer', user: 'val' },
        { key: keys.ann, role: 'operator', user: 'ann' },
        { key: keys.bob, role: 'operator', user: 'bob' },
        { key: keys.admin, role: 'admin', user: 'root' },
      ]),
    );
    t = await startTestControlPlane(builtinDeciders, { apiKeysFile: file });
  });
  afterAll(() => t.cleanup());

  it('needs a known key (401), and the role the route asks for (403)', async () => {
    expect(await as('nobody', 'GET', '/v1/system')).toMatchObject({ status: 401, body: { code: 'ERR_UNAUTHENTICATED' } });
    expect(await as('forged', 'GET', '/v1/system')).toMatchObject({ status: 401 });
    expect((await as('viewer', 'GET', '/v1/system')).status).toBe(200);
    expect(await as('viewer', 'POST', '/v1/actors/sensor/v1/commands', { type: 'AttachSensor', data: { role: 'sensor', type: 't', unit: '', parent: 'reactor/r1' } })).toMatchObject({ status: 403, body: { code: 'ERR_FORBIDDEN' } });
    expect((await as('ann', 'POST', '/v1/actors/sensor/v1/commands', { type: 'AttachSensor', data: { role: 'sensor', type: 't', unit: '', parent: 'reactor/r1' } })).status).toBe(200);
    const rule = { id: 'r1', when: { source: 'sensor/v1', op: '>', value: 1 }, then: { target: 'sensor/v2', value: 1 } };
    expect((await as('ann', 'POST', '/v1/interactions', rule)).status).toBe(403);
    expect((await as('ann', 'POST', '/v1/actors/interactions/default/commands', { type: 'AddInteraction', data: rule })).status).toBe(403);
    expect((await as('admin', 'POST', '/v1/interactions', rule)).status).toBe(201);
    expect((await as('nobody', 'GET', '/healthz')).status).toBe(200);
  });

  it('GET /v1/whoami tells each key its user and role (what a client shows controls for), and refuses an unknown key', async () => {
    expect(await as('viewer', 'GET', '/v1/whoami')).toEqual({ status: 200, body: { user: 'val', role: 'viewer', keyed: true } });
    expect(await as('ann', 'GET', '/v1/whoami')).toEqual({ status: 200, body: { user: 'ann', role: 'operator', keyed: true } });
    expect(await as('admin', 'GET', '/v1/whoami')).toEqual({ status: 200, body: { user: 'root', role: 'admin', keyed: true } });
    expect(await as('forged', 'GET', '/v1/whoami')).toMatchObject({ status: 401, body: { code: 'ERR_UNAUTHENTICATED' } });
  });

  it("a user who is not a plug's owner is told it does not exist (404, never 403)", async () => {
    expect((await as('ann', 'POST', '/v1/actors/daemon/plug-ann/commands', { type: 'RegisterDaemon', data: { owner: 'ann' } })).status).toBe(200);
    expect((await as('ann', 'POST', '/v1/actors/daemon/plug-x/commands', { type: 'RegisterDaemon', data: { owner: 'bob' } })).status).toBe(403);
    expect((await as('ann', 'POST', '/v1/actors/daemon/plug-ann/commands', { type: 'RecordPower', data: { watts: 10 } })).status).toBe(200);
    for (const [method, path, body] of [
      ['GET', '/v1/daemons/plug-ann/energy'],
      ['POST', '/v1/daemons/plug-ann/power', { on: true }],
      ['GET', '/v1/actors/daemon/plug-ann'],
      ['GET', '/v1/actors/daemon/plug-ann/events'],
      ['GET', '/v1/actors/daemon/plug-ann/state?revision=0'],
      ['POST', '/v1/actors/daemon/plug-ann/commands', { type: 'SwitchPower', data: { on: true } }],
    ] as const) {
      expect((await as('bob', method, path, body)).status, `${method} ${path}`).toBe(404);
      expect((await as('ann', method, path, body)).status, `${method} ${path}`).toBeLessThan(300);
    }
    await t.cp.projections.waitFor(await t.cp.store.headPosition());
    const ids = async (who: keyof typeof keys) => ((await as(who, 'GET', '/v1/system')).body!.daemons as Array<{ id: string }>).map((d) => d.id);
    expect(await ids('bob')).toEqual([]);
    expect(await ids('ann')).toEqual(['plug-ann']);
    expect(await ids('admin')).toEqual(['plug-ann']);
  });

  it('writes over the rate limit are 429 with Retry-After', async () => {
    const { buildApp } = await import('../../src/api/app.js');
    const app = buildApp(
      { host: t.cp.host, store: t.cp.store, registry: t.cp.registry, readModels: t.cp.readModels, projections: t.cp.projections },
      // One token per 100 s: none comes back while the test runs, however slow its round trips.
      { apiKeys: [{ key: keys.ann, role: 'operator', user: 'ann' }], rateLimit: { perSecond: 0.01, burst: 3 } },
    );
    const post = () =>
      app.inject({ method: 'POST', url: '/v1/actors/sensor/rl/commands', headers: { authorization: `Bearer ${keys.ann}` }, payload: { type: 'RecordReading', data: { value: 1 } } });
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await post()).statusCode);
    expect(statuses.slice(3)).toEqual([429, 429]);
    const limited = await post();
    expect(limited.headers['retry-after']).toBeDefined();
    expect(limited.json()).toMatchObject({ code: 'ERR_RATE_LIMITED' });
    expect((await app.inject({ method: 'GET', url: '/v1/system', headers: { authorization: `Bearer ${keys.ann}` } })).statusCode).toBe(200);
    await app.close();
  });

  it('refuses to serve an open API on a non-loopback address', async () => {
    const { resolveConfig } = await import('../../src/config.js');
    const { startControlPlane } = await import('../../src/main.js');
    await expect(startControlPlane(resolveConfig({ dataDir: '/tmp/never-used', httpHost: '0.0.0.0', httpPort: 0, natsUrl: t.nats.url }, {}), builtinDeciders)).rejects.toMatchObject({
      code: 'ERR_CONFIG',
    });
  });
});
