import { AckPolicy, DeliverPolicy, type NatsConnection } from 'nats';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventData, EventStore } from '../../src/eventstore/eventStore.js';
import { getSqliteEventStore } from '../../src/eventstore/sqliteEventStore.js';
import { createLogger } from '../../src/shared/logger.js';
import { ensureJetStream } from '../../src/transport/jetstreamSetup.js';
import { connectNats } from '../../src/transport/natsConnection.js';
import { startRelay } from '../../src/transport/relay.js';
import { HEADER, STREAM_EVENTS } from '../../src/transport/subjects.js';
import { eventually, setupNats, tempDir, type TestNats } from '../helpers/nats.js';

const logger = createLogger({ level: 'silent' });
const ev = (type: string, n: number): EventData => ({ id: randomUUID(), type, data: { n }, metadata: {} });

/** Everything a fresh consumer of EP_EVT sees: subject, Nats-Msg-Id and position per message. */
async function consumeAll(nc: NatsConnection, expected: number, timeoutMs = 30_000) {
  const jsm = await nc.jetstreamManager();
  const name = `check-${randomUUID().slice(0, 8)}`;
  await jsm.consumers.add(STREAM_EVENTS, { durable_name: name, ack_policy: AckPolicy.None, deliver_policy: DeliverPolicy.All });
  const consumer = await nc.jetstream().consumers.get(STREAM_EVENTS, name);
  const seen: Array<{ subject: string; id: string; position: number }> = [];
  const deadline = Date.now() + timeoutMs;
  while (seen.length < expected && Date.now() < deadline) {
    const batch = await consumer.fetch({ max_messages: 1000, expires: 1000 });
    for await (const m of batch) seen.push({ subject: m.subject, id: m.headers!.get(HEADER.msgId), position: Number(m.headers!.get(HEADER.position)) });
  }
  // Anything more than expected (a duplicate) would show up here too.
  const extra = await consumer.fetch({ max_messages: 100, expires: 1000 });
  for await (const m of extra) seen.push({ subject: m.subject, id: m.headers!.get(HEADER.msgId), position: Number(m.headers!.get(HEADER.position)) });
  await jsm.consumers.delete(STREAM_EVENTS, name);
  return seen;
}

function expectExactlyOnceInOrder(seen: Array<{ id: string; position: number }>, total: number) {
  expect(seen).toHaveLength(total);
  expect(new Set(seen.map((s) => s.id)).size).toBe(total);
  expect(seen.map((s) => s.position)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
}

describe('relay: $all → ep.evt.<kind>.<id>.<type> (real nats-server)', () => {
  let nats: TestNats;
  let dir: ReturnType<typeof tempDir>;
  let store: EventStore;
  let nc: NatsConnection;

  beforeEach(async () => {
    nats = await setupNats();
    dir = tempDir('ep-relay-');
    store = getSqliteEventStore({ path: join(dir.path, 'events.db') });
    nc = await connectNats({ servers: nats.url, name: 'relay-test' });
    await ensureJetStream(nc);
  });
  afterEach(async () => {
    await nc.close();
    await store.close();
    await nats.cleanup();
    dir.cleanup();
  });

  it('publishes every event once, in order, on its subject with Nats-Msg-Id = event id', async () => {
    const a = await store.append('sensor-t1', [ev('ReadingRecorded', 1), ev('ReadingRecorded', 2)], 'no_stream');
    await store.append('reactor-r1', [ev('DeviceDiscovered', 3)], 'no_stream');
    const relay = startRelay({ store, nc, logger });
    await relay.waitFor(3);
    const seen = await consumeAll(nc, 3);
    expect(seen.map((s) => s.subject)).toEqual(['ep.evt.sensor.t1.ReadingRecorded', 'ep.evt.sensor.t1.ReadingRecorded', 'ep.evt.reactor.r1.DeviceDiscovered']);
    const stored = await store.readAll();
    expect(seen.map((s) => s.id)).toEqual(stored.map((e) => e.id));
    expect(a.position).toBe(2);
    await relay.stop();
  });

  it('stops promptly even when stopped before it has resumed', async () => {
    const relay = startRelay({ store, nc, logger });
    const t0 = Date.now();
    await relay.stop();
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('a relay stopped mid-way and started again publishes nothing twice', async () => {
    for (let i = 0; i < 50; i++) await store.append(`sensor-s${i}`, Array.from({ length: 100 }, (_, k) => ev('ReadingRecorded', k)), 'no_stream');
    const first = startRelay({ store, nc, logger, window: 64 });
    await eventually(() => expect(first.position).toBeGreaterThan(500), { intervalMs: 1 });
    await first.stop();
    expect(first.position).toBeLessThan(5000);
    const second = startRelay({ store, nc, logger });
    await second.waitFor(5000);
    await second.stop();
    expectExactlyOnceInOrder(await consumeAll(nc, 5000), 5000);
  });

  it('a relay whose checkpoint is behind what it published (crash before saving) skips what EP_EVT already has', async () => {
    for (let i = 0; i < 10; i++) await store.append(`sensor-c${i}`, [ev('ReadingRecorded', i)], 'no_stream');
    const first = startRelay({ store, nc, logger, checkpointEveryMs: 3_600_000 });
    await first.waitFor(10);
    // Drop the saved checkpoint: only EP_EVT itself knows how far the relay got.
    const kv = await nc.jetstream().views.kv('ep_checkpoints');
    await first.stop();
    await kv.put('relay', new TextEncoder().encode('0'));
    // A fresh relay must resume at 10 from EP_EVT's last message, re-publishing nothing.
    const second = startRelay({ store, nc, logger });
    await store.append('sensor-c0', [ev('ReadingRecorded', 99)], 0);
    await second.waitFor(11);
    await second.stop();
    expect(second.published).toBe(1);
    expectExactlyOnceInOrder(await consumeAll(nc, 11), 11);
  });

  it('when EP_EVT has aged out, it resumes from the saved checkpoint rather than from the start', async () => {
    for (let i = 0; i < 20; i++) await store.append(`sensor-p${i}`, [ev('ReadingRecorded', i)], 'no_stream');
    const first = startRelay({ store, nc, logger });
    await first.waitFor(20);
    await first.stop();
    const jsm = await nc.jetstreamManager();
    await jsm.streams.purge(STREAM_EVENTS);
    await store.append('sensor-p0', [ev('ReadingRecorded', 100)], 0);
    const second = startRelay({ store, nc, logger });
    await second.waitFor(21);
    await second.stop();
    const seen = await consumeAll(nc, 1);
    expect(seen.map((s) => s.position)).toEqual([21]);
  });

  it('survives a nats-server crash and restart mid-stream: nothing lost, nothing seen twice', async () => {
    const relay = startRelay({ store, nc, logger, ackTimeoutMs: 1000 });
    let written = 0;
    const writer = (async () => {
      for (let i = 0; i < 60; i++) {
        await store.append(`sensor-w${i}`, Array.from({ length: 50 }, (_, k) => ev('ReadingRecorded', k)), 'no_stream');
        written += 50;
        await new Promise((r) => setTimeout(r, 15));
      }
    })();
    await eventually(() => expect(relay.position).toBeGreaterThan(300), { intervalMs: 5 });
    await nats.stop('SIGKILL');
    await new Promise((r) => setTimeout(r, 300));
    await nats.restart();
    await writer;
    expect(written).toBe(3000);
    await relay.waitFor(3000, 60_000);
    await relay.stop();
    expectExactlyOnceInOrder(await consumeAll(nc, 3000), 3000);
  });
});
