import type { QueuedIterator, Status } from 'nats';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { builtinDeciders } from '../../src/actors/kinds/index.js';
import { connectEdge, createForwarder, openDiskBuffer, readingCommand, startActuations, type SetActuation, type PowerActuation } from '../../src/edge/link/index.js';
import { createLogger } from '../../src/shared/logger.js';
import { freePort, startNatsServer } from '../../src/transport/natsServer.js';
import { STREAM_EDGE } from '../../src/transport/subjects.js';
import { startTestControlPlane, type TestControlPlane } from '../helpers/controlPlane.js';
import { eventually, tempDir } from '../helpers/nats.js';

const logger = createLogger({ level: process.env.EDGEPLANE_LOG_LEVEL === 'debug' ? 'debug' : 'error' });
const SENSORS = ['s0', 's1', 's2', 's3', 's4'];
const BOARD = { kind: 'reactor', id: 'r1' };

/** What a test opened, closed after it even when it fails (closing twice is harmless). */
const opened: Array<{ close(): Promise<void> }> = [];
const track = <T extends { close(): Promise<void> }>(x: T): T => (opened.push(x), x);
afterEach(async () => {
  for (const x of opened.splice(0).reverse()) await x.close().catch(() => undefined);
});

describe('edge store-and-forward against a real control plane', () => {
  let t: TestControlPlane;
  const dirs: Array<{ cleanup(): void }> = [];
  const newDir = () => {
    const d = tempDir('ep-edge-');
    dirs.push(d);
    return d.path;
  };

  beforeAll(async () => {
    t = await startTestControlPlane(builtinDeciders);
    const attach = (id: string, role: 'sensor' | 'actuator') =>
      t.bus.send('sensor', id, { type: 'AttachSensor', data: { role, type: role === 'sensor' ? 'temperature' : 'pwm', unit: role === 'sensor' ? 'C' : '%', parent: `${BOARD.kind}/${BOARD.id}` } });
    for (const id of [...SENSORS, 'full']) expect(await attach(id, 'sensor')).toMatchObject({ ok: true });
    expect(await attach('a1', 'actuator')).toMatchObject({ ok: true });
  });
  afterAll(async () => {
    await t?.cleanup();
    for (const d of dirs) d.cleanup();
  });

  it('refuses an actuation that expired while the board was offline, and applies and confirms a live one', async () => {
    const buffer = track(await openDiskBuffer(newDir(), { logger }));
    const connection = track(await connectEdge({ servers: t.nats.url, name: 'edge-r1-act', logger }));
    const forwarder = track(createForwarder({ buffer, connection, logger }));
    const applied: Array<SetActuation | PowerActuation> = [];
    const apply = async (a: SetActuation | PowerActuation) => {
      applied.push(a);
      return a.action === 'set' ? a.value : a.on;
    };
    // The first start creates the board's durable consumer; then the board goes offline.
    let actuations = await startActuations({ connection, buffer, board: BOARD, apply, logger });
    track({ close: () => actuations.stop() });
    await actuations.stop();

    const jsm = await t.nc.jetstreamManager();
    const before = (await jsm.streams.info(STREAM_EDGE)).state.messages;
    const staleExpiry = Date.now() + 1500;
    expect(await t.bus.send('sensor', 'a1', { id: 'set-stale', type: 'SetValue', data: { value: 1, expiresAt: new Date(staleExpiry).toISOString() } })).toMatchObject({ ok: true });
    // Published to the board's subject while nobody listens, and it expires before the board is back.
    await eventually(async () => expect((await jsm.streams.info(STREAM_EDGE)).state.messages).toBe(before + 1));
    await sleep(Math.max(0, staleExpiry - Date.now()) + 100);

    actuations = await startActuations({ connection, buffer, board: BOARD, apply, logger });
    await eventually(() => expect(actuations.stats().expired).toBe(1));
    expect(applied).toEqual([]);

    expect(await t.bus.send('sensor', 'a1', { id: 'set-live', type: 'SetValue', data: { value: 42, expiresAt: new Date(Date.now() + 30_000).toISOString() } })).toMatchObject({ ok: true });
    await eventually(() => expect(applied).toHaveLength(1));
    expect(applied[0]).toMatchObject({ action: 'set', sensor: 'a1', requestId: 'set-live', value: 42 });
    // The read-back goes through the buffer and forwarder: ReportValue confirms the request.
    const events = await eventually(
      async () => {
        const es = await t.cp.store.readStream('sensor-a1');
        expect(es.some((e) => e.type === 'DesiredValueConfirmed')).toBe(true);
        return es;
      },
      { timeoutMs: 15_000 },
    );
    const confirmed = events.filter((e) => e.type === 'DesiredValueConfirmed').map((e) => e.data);
    expect(confirmed).toEqual([expect.objectContaining({ requestId: 'set-live', value: 42 })]);
    expect(events.find((e) => e.type === 'ActuatorValueReported')?.metadata.commandId).toMatch(new RegExp(`^${buffer.epoch}-\\d+$`));
    expect(actuations.stats()).toMatchObject({ applied: 1, expired: 1, failed: 0 });

    await actuations.stop();
    await forwarder.drained(10_000);
    await forwarder.close();
    await connection.close();
    await buffer.close();
  });

  it('stores 10,000 readings exactly once, in order per device, across a nats-server SIGKILL and a worker restart', async () => {
    const dir = newDir();
    const total = 10_000;
    const next = new Map(SENSORS.map((s) => [s, 0]));
    let produced = 0;
    let buffer = track(await openDiskBuffer(dir, { logger }));
    const epoch = buffer.epoch;
    let connection = track(await connectEdge({ servers: t.nats.url, name: 'edge-r1', logger }));
    let forwarder = track(createForwarder({ buffer, connection, logger, publishTimeoutMs: 2000 }));

    // The sampling loop: a tick of readings from every device, appended durably, then the next.
    const produce = async (upto: number) => {
      while (produced < upto) {
        const tick: Array<Promise<unknown>> = [];
        for (let k = 0; k < 25 && produced < upto; k++, produced++) {
          const sensor = SENSORS[produced % SENSORS.length]!;
          const value = next.get(sensor)!;
          next.set(sensor, value + 1);
          tick.push(buffer.append(readingCommand(sensor, value)));
        }
        await Promise.all(tick);
        await sleep(1);
      }
    };

    // A server that hangs, then dies: what the forwarder published meanwhile is in flight,
    // unacknowledged (one message per device), when the SIGKILL comes.
    const freezeThenKill = async (upto: number) => {
      process.kill(t.nats.pid, 'SIGSTOP');
      try {
        await produce(upto);
        // Every device has a message in flight (the actuator's confirmation may have one too).
        await eventually(() => expect(forwarder.stats().inFlight).toBeGreaterThanOrEqual(SENSORS.length), { intervalMs: 5 });
      } finally {
        await t.nats.stop('SIGKILL');
      }
    };

    // The board also takes actuations, through the same connection, across the crash below.
    const applied: number[] = [];
    const actuations = await startActuations({ connection, buffer, board: BOARD, logger, apply: async (a) => (applied.push(a.action === 'set' ? (a.value as number) : 0), a.action === 'set' ? a.value : a.on) });
    track({ close: () => actuations.stop() });

    await produce(1500);
    expect(forwarder.stats().delivered).toBeGreaterThan(0);

    // Crash 1: readings keep coming while NATS is down; the same forwarder re-sends the batches
    // that were in flight, unchanged, once the server is back, then the backlog.
    await freezeThenKill(2500);
    await produce(3000);
    expect(forwarder.stats()).toMatchObject({ connected: false });
    await t.nats.restart();
    await produce(4000);
    await forwarder.drained(30_000);
    // The actuation consumer came back with the connection.
    const setAfterCrash = { id: 'set-after-crash', type: 'SetValue', data: { value: 7, expiresAt: new Date(Date.now() + 30_000).toISOString() } };
    // (The test's own client may still be reconnecting: the same command id, sent until answered.)
    expect(await eventually(() => t.bus.send('sensor', 'a1', setAfterCrash, { timeoutMs: 2000 }), { timeoutMs: 30_000, intervalMs: 200 })).toMatchObject({ ok: true });
    await eventually(() => expect(applied).toEqual([7]), { timeoutMs: 15_000 });
    await actuations.stop();

    // Crash 2, and the worker restarts while NATS is still down: same directory, same epoch.
    await freezeThenKill(5000);
    const before = { ...forwarder.stats(), durableSeq: buffer.stats().durableSeq };
    await forwarder.close();
    await connection.close();
    await buffer.close();
    buffer = track(await openDiskBuffer(dir, { logger }));
    expect(buffer.epoch).toBe(epoch);
    expect(buffer.stats()).toMatchObject({ durableSeq: before.durableSeq, pending: before.buffered });
    expect(before.buffered).toBeGreaterThan(0);
    const connecting = connectEdge({ servers: t.nats.url, name: 'edge-r1', logger });
    await produce(6500);

    // NATS comes back (same store); the worker's first connect finds it; the backlog flushes
    // while new readings keep coming.
    await t.nats.restart();
    connection = track(await connecting);
    forwarder = track(createForwarder({ buffer, connection, logger, publishTimeoutMs: 2000 }));
    await produce(total);
    await forwarder.drained(30_000);
    expect(forwarder.stats()).toMatchObject({ buffered: 0, dropped: 0, connected: true });

    // Every reading became exactly one ReadingRecorded event, in the order it was taken.
    for (const sensor of SENSORS) {
      const expected = Array.from({ length: next.get(sensor)! }, (_, i) => i);
      const events = await eventually(
        async () => {
          const es = (await t.cp.store.readStream(`sensor-${sensor}`)).filter((e) => e.type === 'ReadingRecorded');
          expect(es.length).toBeGreaterThanOrEqual(expected.length);
          return es;
        },
        { timeoutMs: 30_000, intervalMs: 200 },
      );
      expect(events.map((e) => (e.data as { value: number }).value)).toEqual(expected);
      const ids = events.map((e) => e.metadata.commandId as string);
      expect(new Set(ids).size).toBe(ids.length);
      for (const id of ids) expect(id.startsWith(`${epoch}-`)).toBe(true);
    }
    expect(SENSORS.reduce((n, s) => n + next.get(s)!, 0)).toBe(total);

    await forwarder.close();
    await connection.close();
    await buffer.close();
  });
  it('when the buffer overflows while the board is offline, drops the oldest, counts them, and delivers the rest in order', async () => {
    const dir = newDir();
    const opts = { logger, maxBytes: 64 * 1024, segmentBytes: 8 * 1024 };
    const buffer = track(await openDiskBuffer(dir, opts));
    const n = 3000;
    for (let i = 0; i < n; i += 100) await Promise.all(Array.from({ length: 100 }, (_, k) => buffer.append(readingCommand('full', i + k))));
    const { dropped, pending } = buffer.stats();
    expect(dropped).toBeGreaterThan(0);
    expect(dropped + pending).toBe(n);

    const connection = track(await connectEdge({ servers: t.nats.url, name: 'edge-full', logger }));
    const forwarder = track(createForwarder({ buffer, connection, logger }));
    await forwarder.drained(20_000);
    expect(forwarder.stats()).toMatchObject({ delivered: pending, dropped });
    const values = await eventually(
      async () => {
        const v = (await t.cp.store.readStream('sensor-full')).filter((e) => e.type === 'ReadingRecorded').map((e) => (e.data as { value: number }).value);
        expect(v).toHaveLength(pending);
        return v;
      },
      { timeoutMs: 20_000, intervalMs: 100 },
    );
    // The newest survive, contiguous and in order: exactly the readings after the dropped ones.
    expect(values).toEqual(Array.from({ length: pending }, (_, i) => dropped + i));
  });
});

describe('edge connection', () => {
  it('waits for a server that is down at start, and redials with the seed backoff after a crash', async () => {
    const dir = tempDir('ep-edge-nats-');
    const port = await freePort();
    try {
      const connecting = connectEdge({ servers: `nats://127.0.0.1:${port}`, name: 'edge-backoff', logger });
      await sleep(300);
      const server = await startNatsServer({ dataDir: dir.path, port });
      const connection = await connecting;
      expect(connection.connected).toBe(true);

      const dials: number[] = [];
      let lostAt = 0;
      const status = connection.nc.status() as QueuedIterator<Status>;
      const watching = (async () => {
        for await (const s of status) if (s.type === 'reconnecting') dials.push(Date.now() - lostAt);
      })();
      lostAt = Date.now();
      await server.stop('SIGKILL');
      const steps = [5, 10, 25, 50, 100, 250, 500, 1000];
      // The schedule sums to ~2 s; a busy machine only delays the dials.
      await eventually(() => expect(dials.length).toBeGreaterThanOrEqual(steps.length), { timeoutMs: 15_000 });
      const gaps = dials.map((d, i) => d - (i === 0 ? 0 : dials[i - 1]!));
      // Each wait at least its step (never racing through), and not wildly more: the bound only
      // catches a broken schedule; the exact one is unit-tested with a fake clock (backoff.unit.spec.ts).
      // The first also holds the time it took to notice the disconnect.
      steps.forEach((step, i) => {
        expect(gaps[i]).toBeGreaterThanOrEqual(step - 1);
        if (i > 0) expect(gaps[i]).toBeLessThan(step * 2 + 1000);
      });

      await server.restart();
      await eventually(() => expect(connection.connected).toBe(true), { timeoutMs: 10_000, intervalMs: 10 });
      status.stop();
      await watching;
      await connection.close();
      await server.stop();
    } finally {
      dir.cleanup();
    }
  });

  it('gives up waiting for the first connect when aborted', async () => {
    const port = await freePort();
    const abort = new AbortController();
    const connecting = connectEdge({ servers: `nats://127.0.0.1:${port}`, name: 'edge-abort', logger, signal: abort.signal });
    setTimeout(() => abort.abort(), 200);
    await expect(connecting).rejects.toMatchObject({ code: 'ERR_CONNECT_ABORTED' });
  });
});
