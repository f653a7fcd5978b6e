import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { serializeEvent, type EventData, type RecordedEvent } from '../../src/eventstore/eventStore.js';
import { getSqliteEventStore } from '../../src/eventstore/sqliteEventStore.js';
import { SCHEMA_VERSION } from '../../src/eventstore/sqliteSchema.js';
import { eventually, tempDir } from '../helpers/nats.js';
import { runEventStoreContract } from './eventStore.contract.js';

runEventStoreContract('sqlite', async () => {
  const dir = tempDir('ep-sqlite-');
  return { store: getSqliteEventStore({ path: join(dir.path, 'events.db') }), cleanup: async () => dir.cleanup() };
});

const ev = (type: string): EventData => ({ id: randomUUID(), type, data: { n: 1 }, metadata: {} });

describe('sqlite event store specifics', () => {
  const dirs: Array<{ cleanup: () => void }> = [];
  afterEach(() => dirs.splice(0).forEach((d) => d.cleanup()));
  const file = () => {
    const d = tempDir('ep-sqlite-');
    dirs.push(d);
    return join(d.path, 'events.db');
  };

  it('is one file in WAL mode with synchronous=FULL, and what it acknowledged is there after reopening', async () => {
    const path = file();
    const store = getSqliteEventStore({ path });
    await store.append('sensor-a', [ev('A'), ev('B')], 'no_stream');
    await store.close();
    const raw = new Database(path, { readonly: true });
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    raw.close();
    const reopened = getSqliteEventStore({ path });
    expect((await reopened.readStream('sensor-a')).map((e) => e.type)).toEqual(['A', 'B']);
    await reopened.close();
  });

  it('a checkpointer thread moves the WAL into the database file (no checkpoint stalls in commits)', async () => {
    const path = file();
    const store = getSqliteEventStore({ path });
    const { statSync } = await import('node:fs');
    const before = statSync(path).size;
    for (let i = 0; i < 20; i++) await store.append(`ck-${i}`, Array.from({ length: 200 }, () => ev('C')), 'no_stream');
    // 4,000 events of at least 60 bytes each are in the database file itself, not only in the WAL
    // (nothing but the checkpointer thread moves them there while the store is open).
    await eventually(() => expect(statSync(path).size).toBeGreaterThan(before + 4000 * 60), { timeoutMs: 10_000 });
    await store.close();
  });

  it('commits appends arriving together as one transaction, each checked on its own', async () => {
    const path = file();
    const store = getSqliteEventStore({ path });
    await store.append('s-x', [ev('X')], 'no_stream');
    const results = await Promise.allSettled([
      store.append('s-1', [ev('A')], 'no_stream'),
      store.append('s-x', [ev('Bad')], 'no_stream'), // refused: s-x exists
      store.append('s-2', [ev('B'), ev('C')], 'no_stream'),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const all = await store.readAll();
    expect(all.map((e) => e.type)).toEqual(['X', 'A', 'B', 'C']);
    // Positions are contiguous: a refused append inside the group leaves no gap.
    expect(all.map((e) => e.position)).toEqual([1, 2, 3, 4]);
    await store.close();
  });

  it('an append that fails part-way (a duplicate id in the middle) stores none of its events, and the rest of the group commits', async () => {
    const store = getSqliteEventStore({ path: file() });
    const taken = ev('Taken');
    await store.append('dup-a', [taken], 'no_stream');
    const results = await Promise.allSettled([
      store.append('dup-b', [ev('B0')], 'no_stream'),
      store.append('dup-c', [ev('C0'), { ...ev('C1'), id: taken.id }, ev('C2')], 'no_stream'),
      store.append('dup-d', [ev('D0')], 'no_stream'),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'ERR_DUPLICATE_EVENT_ID', eventId: taken.id });
    const all = await store.readAll();
    expect(all.map((e) => e.type)).toEqual(['Taken', 'B0', 'D0']);
    expect(all.map((e) => e.position)).toEqual([1, 2, 3]);
    await store.close();
  });

  it('wakes a live subscriber in-process at once, with no polling', async () => {
    const store = getSqliteEventStore({ path: file(), foreignPollMs: 60_000 });
    const abort = new AbortController();
    const got: Array<{ e: RecordedEvent; at: number }> = [];
    const loop = (async () => {
      for await (const batch of store.subscribeAll({ signal: abort.signal })) {
        for (const e of batch) got.push({ e, at: performance.now() });
        if (got.length === 20) abort.abort();
      }
    })();
    // From the moment each append is durable (its promise resolves) to its delivery: with a
    // 60 s poll interval, anything but an in-process wake-up would take seconds.
    const committedAt: number[] = [];
    for (let i = 0; i < 20; i++) {
      await new Promise((r) => setTimeout(r, 5));
      await store.append(`live-${i}`, [ev('L')], 'no_stream');
      committedAt.push(performance.now());
    }
    await loop;
    const delays = got.map((g, i) => g.at - committedAt[i]!);
    // Typically well under a millisecond; a busy machine can stall one now and then, never for seconds.
    const median = [...delays].sort((a, b) => a - b)[delays.length >> 1]!;
    expect(median).toBeLessThan(20);
    expect(Math.max(...delays)).toBeLessThan(1000);
    await store.close();
  });

  it('with a batch window, reads the first commit after a quiet spell at once and the commits landing within the window together', async () => {
    const store = getSqliteEventStore({ path: file(), foreignPollMs: 60_000 });
    const abort = new AbortController();
    const batches: Array<{ streams: string[]; at: number }> = [];
    const loop = (async () => {
      for await (const batch of store.subscribeAll({ signal: abort.signal, batchWindowMs: 400 })) batches.push({ streams: batch.map((e) => e.stream), at: performance.now() });
    })();
    await new Promise((r) => setTimeout(r, 500));
    await store.append('quiet-1', [ev('Q')], 'no_stream');
    const committed = performance.now();
    await eventually(() => expect(batches).toHaveLength(1));
    expect(batches[0]!.streams).toEqual(['quiet-1']);
    expect(batches[0]!.at - committed).toBeLessThan(200);
    for (let i = 0; i < 5; i++) await store.append(`busy-${i}`, [ev('B')], 'no_stream');
    await eventually(() => expect(batches.flatMap((b) => b.streams)).toHaveLength(6));
    // All five in one read, not before the window after the first read had passed.
    expect(batches).toHaveLength(2);
    expect(batches[1]!.streams).toEqual(['busy-0', 'busy-1', 'busy-2', 'busy-3', 'busy-4']);
    expect(batches[1]!.at - batches[0]!.at).toBeGreaterThanOrEqual(350);
    abort.abort();
    await loop;
    await store.close();
  });

  it("a filtered follower gets every event it watches, in order, among commits it does not watch from its own store and from others on the file", async () => {
    const path = file();
    const own = getSqliteEventStore({ path, foreignPollMs: 50 });
    const other = getSqliteEventStore({ path, foreignPollMs: 50 });
    const abort = new AbortController();
    const got: string[] = [];
    let checkpoint = 0;
    const loop = (async () => {
      for await (const batch of own.subscribeAll({ signal: abort.signal, streamPrefixes: ['watched-'], onCheckpoint: (p) => (checkpoint = p) })) {
        for (const e of batch) got.push(e.stream);
      }
    })();
    const appends: Array<[typeof own, string]> = [
      [own, 'other-1'],
      [own, 'watched-1'],
      [own, 'other-2'],
      [other, 'other-3'],
      [other, 'watched-2'],
      [own, 'other-4'],
      [other, 'other-5'],
      [own, 'watched-3'],
      [own, 'other-6'],
    ];
    for (const [store, stream] of appends) {
      await store.append(stream, [ev('E')], 'no_stream');
      await new Promise((r) => setTimeout(r, 5));
    }
    const head = await own.headPosition();
    await eventually(() => expect(checkpoint).toBe(head));
    expect(got).toEqual(['watched-1', 'watched-2', 'watched-3']);
    abort.abort();
    await loop;
    await other.close();
    await own.close();
  });

  it('sees appends made by another process on the same file', async () => {
    const path = file();
    const store = getSqliteEventStore({ path, foreignPollMs: 20 });
    const other = getSqliteEventStore({ path });
    const abort = new AbortController();
    const seen: string[] = [];
    const loop = (async () => {
      for await (const batch of store.subscribeAll({ signal: abort.signal })) {
        seen.push(...batch.map((e) => e.type));
        abort.abort();
      }
    })();
    await new Promise((r) => setTimeout(r, 50));
    await other.append('foreign-1', [ev('FromElsewhere')], 'no_stream');
    await loop;
    expect(seen).toEqual(['FromElsewhere']);
    await other.close();
    await store.close();
  });

  it('events serialise from the stored text exactly as their parsed form does', async () => {
    const store = getSqliteEventStore({ path: file() });
    const e = { id: randomUUID(), type: 'T', data: { a: [1, 'two', { three: null }], 'quote"d': 'x\ny' }, metadata: { commandId: 'c', timestamp: 't' } };
    await store.append('ser-1', [e], 'no_stream');
    const [read] = await store.readAll();
    expect(JSON.parse(serializeEvent(read!))).toEqual(JSON.parse(JSON.stringify(read)));
    expect(JSON.parse(serializeEvent(read!))).toEqual({ ...e, stream: 'ser-1', revision: 0, position: 1 });
    await store.close();
  });

  it('gives readers a gap-free global position under concurrent group commits', async () => {
    const store = getSqliteEventStore({ path: file() });
    await Promise.allSettled(
      Array.from({ length: 500 }, (_, i) => store.append(`g-${i % 37}`, [ev('G'), ev('H')], i < 37 ? 'no_stream' : 'any')),
    );
    const all = await store.readAll();
    expect(all.map((e) => e.position)).toEqual(all.map((_, i) => i + 1));
    await store.close();
  });

  it('brings a file in the older format (a UNIQUE index on the text id) up to the current one, keeping every event and the id checks', async () => {
    const path = file();
    const old = new Database(path);
    old.pragma('journal_mode = WAL');
    old.exec(`CREATE TABLE events (position INTEGER PRIMARY KEY, stream TEXT NOT NULL, revision INTEGER NOT NULL, id TEXT NOT NULL UNIQUE,
      type TEXT NOT NULL, data TEXT NOT NULL, metadata TEXT NOT NULL, UNIQUE (stream, revision));
      CREATE TABLE fences (key TEXT PRIMARY KEY, token INTEGER NOT NULL);`);
    const ids = Array.from({ length: 3 }, () => randomUUID());
    const insert = old.prepare('INSERT INTO events (stream, revision, id, type, data, metadata) VALUES (?, ?, ?, ?, ?, ?)');
    ids.forEach((id, i) => insert.run('sensor-old', i, id, `E${i}`, JSON.stringify({ i }), '{"commandId":"c"}'));
    old.close();

    const store = getSqliteEventStore({ path });
    expect((await store.readStream('sensor-old')).map((e) => [e.id, e.type, e.data, e.position])).toEqual(ids.map((id, i) => [id, `E${i}`, { i }, i + 1]));
    // The same id elsewhere is still refused; the same ids at the same place are still idempotent.
    await expect(store.append('sensor-new', [{ id: ids[1]!, type: 'X', data: {}, metadata: {} }], 'no_stream')).rejects.toMatchObject({ code: 'ERR_DUPLICATE_EVENT_ID' });
    const again = await store.append('sensor-old', [0, 1, 2].map((i) => ({ id: ids[i]!, type: `E${i}`, data: { i }, metadata: {} })), 'no_stream');
    expect(again).toMatchObject({ nextRevision: 2, position: 3 });
    expect(await store.append('sensor-old', [ev('E3')], 2)).toMatchObject({ nextRevision: 3, position: 4 });
    await store.close();

    const raw = new Database(path, { readonly: true });
    expect(raw.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect((raw.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events'").pluck().all() as string[]).sort()).toEqual(['events_id_key', 'sqlite_autoindex_events_1']);
    raw.close();
  });
});
