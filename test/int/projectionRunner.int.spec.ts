import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { EventData, RecordedEvent } from '../../src/eventstore/eventStore.js';
import { getSqliteEventStore } from '../../src/eventstore/sqliteEventStore.js';
import { openReadModelDb, startProjections, type Projection } from '../../src/projections/projectionRunner.js';
import { createLogger } from '../../src/shared/logger.js';
import { tempDir } from '../helpers/nats.js';

const logger = createLogger({ level: 'silent' });
const ev = (type: string, n: number): EventData => ({ id: randomUUID(), type, data: { n }, metadata: {} });

/** Counts events and sums `n` per stream; counts its own apply calls to prove resumption. */
function tally(version = '1'): Projection & { applied: number } {
  return {
    name: 'tally',
    version,
    applied: 0,
    init: (db) => db.exec('CREATE TABLE IF NOT EXISTS tally (stream TEXT PRIMARY KEY, events INTEGER, total INTEGER)'),
    reset: (db) => db.exec('DROP TABLE IF EXISTS tally'),
    apply(db, e: RecordedEvent) {
      this.applied++;
      db.prepare('INSERT INTO tally VALUES (?, 1, ?) ON CONFLICT(stream) DO UPDATE SET events = events + 1, total = total + excluded.total').run(e.stream, (e.data as { n: number }).n);
    },
  };
}

const dump = (db: ReturnType<typeof openReadModelDb>) => JSON.stringify(db.prepare('SELECT * FROM tally ORDER BY stream').all());

describe('projection runner (real SQLite files)', () => {
  const dirs: Array<{ cleanup: () => void }> = [];
  afterEach(() => dirs.splice(0).forEach((d) => d.cleanup()));

  it('applies in order with the checkpoint in the same transaction, resumes without replaying, and a rebuild is identical', async () => {
    const dir = tempDir('ep-proj-');
    dirs.push(dir);
    const store = getSqliteEventStore({ path: join(dir.path, 'events.db') });
    for (let i = 0; i < 30; i++) await store.append(`s-${i % 5}`, [ev('E', i)], 'any');

    let db = openReadModelDb(join(dir.path, 'read.db'));
    let p = tally();
    let runner = startProjections({ store, db, projections: [p], logger });
    await runner.waitFor(30);
    const first = dump(db);
    expect(JSON.parse(first)).toHaveLength(5);
    await runner.stop();
    db.close();

    // Restart: only the new events are applied.
    for (let i = 30; i < 40; i++) await store.append(`s-${i % 5}`, [ev('E', i)], 'any');
    db = openReadModelDb(join(dir.path, 'read.db'));
    p = tally();
    runner = startProjections({ store, db, projections: [p], logger });
    await runner.waitFor(40);
    expect(p.applied).toBe(10);
    const incremental = dump(db);

    await runner.rebuild('tally');
    await runner.waitFor(40);
    expect(dump(db)).toBe(incremental);
    expect(p.applied).toBe(50);
    await runner.stop();
    db.close();

    // A new version rebuilds from zero at start.
    db = openReadModelDb(join(dir.path, 'read.db'));
    p = tally('2');
    runner = startProjections({ store, db, projections: [p], logger });
    await runner.waitFor(40);
    expect(p.applied).toBe(40);
    expect(dump(db)).toBe(incremental);
    await runner.stop();
    db.close();
    await store.close();
  });

  it('a failing apply rolls back its batch and checkpoint together', async () => {
    const dir = tempDir('ep-proj-');
    dirs.push(dir);
    const store = getSqliteEventStore({ path: join(dir.path, 'events.db') });
    await store.append('s-1', [ev('E', 1), ev('Boom', 2), ev('E', 3)], 'no_stream');
    const db = openReadModelDb(join(dir.path, 'read.db'));
    const p = tally();
    const apply = p.apply.bind(p);
    p.apply = (d, e) => {
      if (e.type === 'Boom') throw new Error('projection bug');
      apply(d, e);
    };
    const runner = startProjections({ store, db, projections: [p], logger });
    await new Promise((r) => setTimeout(r, 200));
    expect(runner.position('tally')).toBe(0);
    expect(db.prepare('SELECT COUNT(*) AS n FROM tally').get()).toEqual({ n: 0 });
    await runner.stop();
    db.close();
    await store.close();
  });

  it('projections that name their kinds are handed only those kinds’ events, and their position still reaches the head when it is another kind’s', async () => {
    const dir = tempDir('ep-proj-');
    dirs.push(dir);
    const store = getSqliteEventStore({ path: join(dir.path, 'events.db') });
    const db = openReadModelDb(join(dir.path, 'read.db'));
    const sensors = { ...tally(), name: 'sensors', kinds: ['sensor'] };
    const daemons = { ...tally(), name: 'daemons', kinds: ['daemon'], init: () => undefined, reset: () => undefined, apply: (_db: unknown, e: RecordedEvent) => seenByDaemons.push(e.stream) };
    const seenByDaemons: string[] = [];
    const applied: string[] = [];
    const wrapped = { ...sensors, apply: (d: Parameters<Projection['apply']>[0], e: RecordedEvent) => (applied.push(e.stream), sensors.apply.call(sensors, d, e)) };
    const runner = startProjections({ store, db, projections: [wrapped, daemons], logger });
    for (let i = 0; i < 20; i++) await store.append(['sensor-a', 'meter-m', 'daemon-d', 'sensors-x'][i % 4]!, [ev('E', i)], 'any');
    const head = (await store.append('meter-m', [ev('E', 99)], 'any')).position;
    await runner.waitFor(head, 5000);
    expect(runner.position('sensors')).toBe(head);
    expect(runner.position('daemons')).toBe(head);
    expect(new Set(applied)).toEqual(new Set(['sensor-a']));
    expect(applied).toHaveLength(5);
    expect(seenByDaemons).toEqual(Array(5).fill('daemon-d'));
    await runner.stop();
    db.close();
    await store.close();
  });
});
