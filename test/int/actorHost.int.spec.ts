import { headers as natsHeaders, type NatsConnection } from 'nats';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replayActor } from '../../src/actors/replay.js';
import type { EventStore } from '../../src/eventstore/eventStore.js';
import { getSqliteSnapshotStore } from '../../src/eventstore/snapshotStore.js';
import type { ControlPlane } from '../../src/main.js';
import type { CommandBus } from '../../src/transport/commandBus.js';

import { counterDecider } from '../fixtures/counter.decider.mjs';
import { startTestControlPlane, type TestControlPlane } from '../helpers/controlPlane.js';
import { commandBacklog, eventually } from '../helpers/nats.js';
import { partitionOf } from '../../src/shared/partition.js';

type Ok = { ok: true; revision: number; position: number; events: Array<{ type: string; revision: number; data: Record<string, unknown>; id: string }>; duplicate?: boolean };
type Refused = { ok: false; error: { code: string; message: string } };
type Reply = Ok | Refused;

/** Counts appends in flight per stream: more than one at a time would break the mailbox rule. */
function watchConcurrency(store: EventStore) {
  const inFlight = new Map<string, number>();
  let maxPerStream = 0;
  const append = store.append.bind(store);
  store.append = async (stream, events, expected) => {
    const n = (inFlight.get(stream) ?? 0) + 1;
    inFlight.set(stream, n);
    maxPerStream = Math.max(maxPerStream, n);
    try {
      return await append(stream, events, expected);
    } finally {
      inFlight.set(stream, inFlight.get(stream)! - 1);
    }
  };
  return { get maxPerStream() { return maxPerStream; } };
}

describe('actor host (real nats-server, real SQLite file)', () => {
  let t: TestControlPlane;
  let cp: ControlPlane;
  let nc: NatsConnection;
  let bus: CommandBus;
  let dir: { path: string };
  let watch: ReturnType<typeof watchConcurrency>;

  beforeAll(async () => {
    t = await startTestControlPlane([counterDecider], { snapshotEvery: 10 });
    ({ cp, nc, bus, dir } = t);
    watch = watchConcurrency(cp.store);
  });
  afterAll(() => t.cleanup());

  it('runs commands for one actor strictly one at a time, many actors concurrently', async () => {
    const actors = Array.from({ length: 20 }, (_, i) => `c${i}`);
    const replies = await Promise.all(
      actors.flatMap((id) => Array.from({ length: 25 }, () => bus.send<Reply>('counter', id, { type: 'Increment' }))),
    );
    expect(replies.every((r) => r.ok)).toBe(true);
    for (const id of actors) {
      const events = await cp.store.readStream(`counter-${id}`);
      // Each command saw the state left by the one before it: 0, 1, 2, … with no repeats.
      expect(events.map((e) => (e.data as { before: number }).before)).toEqual(Array.from({ length: 25 }, (_, i) => i));
    }
    expect(watch.maxPerStream).toBe(1);
  });

  it('answers a batch for one actor in order, stored in one append', async () => {
    const before = await cp.store.headPosition();
    const reply = await bus.sendBatch<Reply[]>('counter', 'batch1', Array.from({ length: 100 }, (_, i) => ({ type: 'Record', data: { value: i } })));
    expect(reply).toHaveLength(100);
    expect(reply.map((r) => (r as Ok).revision)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    const all = (await cp.store.readAll({ after: before })).filter((e) => e.stream === 'counter-batch1');
    expect(all.map((e) => e.position)).toEqual(all.map((_, i) => all[0]!.position + i));
  });

  it('passivation, then rehydration from a snapshot, gives the same state as a full replay', async () => {
    for (let i = 0; i < 35; i++) await bus.send('counter', 'snap', { type: 'Increment', data: { by: i } });
    const live = await cp.host.inspect('counter', 'snap');
    expect(cp.host.passivateIdle(0)).toBeGreaterThan(0);
    const snapshots = getSqliteSnapshotStore({ path: join(dir.path, 'snapshots.db') });
    const snap = snapshots.load('counter-snap');
    snapshots.close();
    expect(snap?.revision).toBeGreaterThanOrEqual(29);

    // Rehydration reads only what came after the snapshot.
    const reads: Array<number | undefined> = [];
    const readStream = cp.store.readStream.bind(cp.store);
    cp.store.readStream = (stream, o) => {
      if (stream === 'counter-snap') reads.push(o?.fromRevision);
      return readStream(stream, o);
    };
    const rehydrated = await cp.host.inspect('counter', 'snap');
    cp.store.readStream = readStream;
    expect(reads).toEqual([snap!.revision + 1]);

    const replayed = await replayActor(cp.store, counterDecider, 'snap');
    expect(rehydrated).toEqual(live);
    expect(rehydrated.state).toEqual(replayed.state);
    expect(rehydrated.revision).toBe(replayed.revision);
    expect((rehydrated.state as { count: number }).count).toBe((34 * 35) / 2);
  });

  it('a redelivered command (same id) appends nothing and gets the original answer, even after passivation', async () => {
    const first = await bus.send<Ok>('counter', 'redeliver', { id: 'cmd-42', type: 'Increment' });
    const again = await bus.send<Ok>('counter', 'redeliver', { id: 'cmd-42', type: 'Increment' });
    cp.host.passivateIdle(0);
    const afterPassivation = await bus.send<Ok>('counter', 'redeliver', { id: 'cmd-42', type: 'Increment' });
    expect(first.duplicate).toBeUndefined();
    for (const r of [again, afterPassivation]) {
      expect(r).toMatchObject({ ok: true, duplicate: true, revision: first.revision });
      expect(r.events.map((e) => e.id)).toEqual(first.events.map((e) => e.id));
    }
    expect(await cp.store.readStream('counter-redeliver')).toHaveLength(1);
  });

  it('a command redelivered long after (forgotten by the actor) is answered as a duplicate without failing its batch', async () => {
    const original = await bus.send<Ok>('counter', 'old', { id: 'ancient', type: 'Increment' });
    for (let b = 0; b < 2; b++) {
      await bus.sendBatch('counter', 'old', Array.from({ length: 600 }, () => ({ type: 'Record', data: { value: 1 } })));
    }
    cp.host.passivateIdle(0);
    const replies = await bus.sendBatch<Reply[]>('counter', 'old', [
      { id: 'ancient', type: 'Increment' },
      { id: 'fresh', type: 'Increment' },
    ]);
    expect(replies[0]).toMatchObject({ ok: true, duplicate: true, revision: 0 });
    expect((replies[0] as Ok).events.map((e) => e.id)).toEqual(original.events.map((e) => e.id));
    expect(replies[1]).toMatchObject({ ok: true, revision: 1201 });
    const stream = await cp.store.readStream('counter-old');
    expect(stream).toHaveLength(1202);
    expect(stream.filter((e) => e.metadata.commandId === 'ancient')).toHaveLength(1);
  });

  it('a store that fails mid-append loses nothing: the command is redelivered, not acknowledged, and applied once', async () => {
    let failures = 0;
    const append = cp.store.append;
    cp.store.append = (stream, events, expected) => {
      if (stream === 'counter-flaky' && failures < 2) {
        failures++;
        return Promise.reject(Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' }));
      }
      return append(stream, events, expected);
    };
    try {
      const reply = await bus.send<Ok>('counter', 'flaky', { id: 'flaky-1', type: 'Increment' }, { timeoutMs: 20_000 });
      expect(reply).toMatchObject({ ok: true, revision: 0 });
    } finally {
      cp.store.append = append;
    }
    expect(failures).toBe(2);
    expect(await cp.store.readStream('counter-flaky')).toHaveLength(1);
  });

  it('refuses a stale expectedRevision with ERR_WRONG_EXPECTED_REVISION', async () => {
    await bus.send('counter', 'occ', { type: 'Increment' });
    const stale = await bus.send<Refused>('counter', 'occ', { type: 'Increment', expectedRevision: -1 });
    expect(stale).toMatchObject({ ok: false, error: { code: 'ERR_WRONG_EXPECTED_REVISION' } });
    expect(await bus.send<Ok>('counter', 'occ', { type: 'Increment', expectedRevision: 0 })).toMatchObject({ ok: true, revision: 1 });
  });

  it('passes a domain rejection through with its code, and a decider bug as ERR_DECIDER_FAILED', async () => {
    const before = await cp.store.headPosition();
    expect(await bus.send<Refused>('counter', 'r1', { type: 'Fail', data: { reason: 'test' } })).toMatchObject({
      ok: false,
      error: { code: 'ERR_COUNTER_REFUSED', message: 'counter r1 refuses: test' },
    });
    expect(await bus.send<Refused>('counter', 'r1', { type: 'Explode' })).toMatchObject({ ok: false, error: { code: 'ERR_DECIDER_FAILED' } });
    expect(await cp.store.headPosition()).toBe(before);
    expect(await bus.send<Ok>('counter', 'r1', { type: 'Increment' })).toMatchObject({ ok: true, revision: 0 });
  });

  describe('bad input gets a clear typed error, is acked, and leaves the store unchanged', () => {
    const raw = async (subject: string, body: string | Uint8Array): Promise<Reply> => {
      const inbox = `_INBOX.bad.${Math.random().toString(36).slice(2)}`;
      const sub = nc.subscribe(inbox, { max: 1 });
      const h = natsHeaders();
      h.set('Ep-Reply', inbox);
      await nc.jetstream().publish(subject, typeof body === 'string' ? new TextEncoder().encode(body) : body, { headers: h });
      for await (const m of sub) return JSON.parse(new TextDecoder().decode(m.data)) as Reply;
      throw new Error('no reply');
    };

    const at = (kind: string, id: string) => `ep.cmd.${partitionOf(kind, id)}.${kind}.${id}`;
    it.each([
      ['unknown kind', at('reactorz', 'r1'), '{"id":"a1","type":"Increment","data":{}}', 'ERR_UNKNOWN_KIND'],
      ['unknown command', at('counter', 'k1'), '{"id":"a2","type":"Teleport","data":{}}', 'ERR_UNKNOWN_COMMAND'],
      ['malformed JSON', at('counter', 'k1'), '{"id":"a3","type":', 'ERR_INVALID_COMMAND'],
      ['not an object', at('counter', 'k1'), '"hello"', 'ERR_INVALID_COMMAND'],
      ['bad command id', at('counter', 'k1'), '{"id":"has space","type":"Increment","data":{}}', 'ERR_INVALID_ID'],
      ['upper-case kind', at('Counter', 'k1'), '{"id":"a4","type":"Increment","data":{}}', 'ERR_INVALID_ID'],
      ['id with a colon-free wildcard', at('counter', 'k*'), '{"id":"a5","type":"Increment","data":{}}', 'ERR_INVALID_ID'],
      ['data not an object', at('counter', 'k1'), '{"id":"a6","type":"Increment","data":[1]}', 'ERR_INVALID_COMMAND'],
      ['the wrong partition for its actor', `ep.cmd.${(partitionOf('counter', 'k1') + 1) % 16}.counter.k1`, '{"id":"a7","type":"Increment","data":{}}', 'ERR_WRONG_PARTITION'],
    ])('%s', async (_name, subject, body, code) => {
      const before = await cp.store.headPosition();
      const reply = await raw(subject, body);
      expect(reply).toMatchObject({ ok: false, error: { code } });
      expect((reply as Refused).error.message.length).toBeGreaterThan(10);
      expect(await cp.store.headPosition()).toBe(before);
    });

    it('a subject without a partition is refused by JetStream itself: nothing is stored to sit unread', async () => {
      await expect(nc.jetstream().publish('ep.cmd.counter.k1', new TextEncoder().encode('{}'))).rejects.toThrow(/no responders|503/i);
      await expect(nc.jetstream().publish(`ep.cmd.${partitionOf('counter', 'k1')}.counter.k1.extra`, new TextEncoder().encode('{}'))).rejects.toThrow(/no responders|503/i);
    });

    it('oversized payload', async () => {
      const before = await cp.store.headPosition();
      const big = JSON.stringify({ id: 'big1', type: 'Increment', data: { pad: 'x'.repeat(300_000) } });
      const reply = await raw(at('counter', 'k1'), big);
      expect(reply).toMatchObject({ ok: false, error: { code: 'ERR_PAYLOAD_TOO_LARGE' } });
      expect(await cp.store.headPosition()).toBe(before);
    });

    it('the sending side refuses ids that would break a subject before anything is sent', async () => {
      for (const id of ['a.b', 'a b', 'a*', 'a>', '', 'x/y']) {
        await expect(bus.send('counter', id, { type: 'Increment' })).rejects.toMatchObject({ code: 'ERR_INVALID_ID' });
      }
    });

    it('nothing is left pending or redelivered', async () => {
      const jsm = await nc.jetstreamManager();
      await eventually(async () => {
        const backlog = await commandBacklog(jsm);
        expect(backlog).toEqual({ pending: 0, ackPending: 0, redelivered: 0 });
      });
    });
  });
});
