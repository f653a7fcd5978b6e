import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { AnyDecider, DomainEvent } from '../../src/actors/decider.js';
import type { EventData, EventStore } from '../../src/eventstore/eventStore.js';
import { getSqliteEventStore } from '../../src/eventstore/sqliteEventStore.js';
import { openReadModelDb, startProjections, type Projection, type ProjectionRunner } from '../../src/projections/projectionRunner.js';
import { isDomainRejection } from '../../src/shared/errors.js';
import { streamName } from '../../src/shared/ids.js';
import { createLogger } from '../../src/shared/logger.js';
import { tempDir } from './nats.js';

/**
 * Read models over a real SQLite event store file and the real projection runner, and a fleet
 * of actors whose commands are decided by the real deciders, so projections see what the
 * domain would really write.
 */
export interface StreamEvent {
  stream: string;
  event: EventData;
}

export interface ReadModel {
  store: EventStore;
  db: ReturnType<typeof openReadModelDb>;
  runner: ProjectionRunner;
  /** Appends each group as one append per stream run, then waits until every projection has applied it. */
  deliver(events: readonly StreamEvent[]): Promise<number>;
  /** Every row of the tables, in storage order, as one string. */
  dump(tables: readonly string[]): string;
  close(): Promise<void>;
}

const logger = createLogger({ level: 'silent' });

export async function openReadModel(projections: readonly Projection[]): Promise<ReadModel> {
  const dir = tempDir('ep-rm-');
  const store = getSqliteEventStore({ path: join(dir.path, 'events.db'), synchronous: 'OFF' });
  const db = openReadModelDb(join(dir.path, 'read.db'));
  const runner = startProjections({ store, db, projections, logger });
  let head = 0;
  return {
    store,
    db,
    runner,
    async deliver(events) {
      // Consecutive events of one stream go in one append, as an actor's turn would write them.
      for (let i = 0; i < events.length; ) {
        let j = i + 1;
        while (j < events.length && events[j]!.stream === events[i]!.stream) j++;
        head = (await store.append(events[i]!.stream, events.slice(i, j).map((e) => e.event), 'any')).position;
        i = j;
      }
      await runner.waitFor(head);
      return head;
    },
    dump: (tables) => JSON.stringify(tables.map((t) => [t, db.prepare(`SELECT * FROM ${t}`).raw().all()])),
    async close() {
      await runner.stop();
      db.close();
      await store.close();
      dir.cleanup();
    },
  };
}

/** Actors decided in memory by the real deciders; rejected commands write nothing, as in the host. */
export function fleet(deciders: readonly AnyDecider[]) {
  const byKind = new Map(deciders.map((d) => [d.kind, d]));
  const states = new Map<string, unknown>();
  let commands = 0;
  return {
    /** The events the command produced, ready to append (empty when refused or a no-op). */
    send(kind: string, id: string, type: string, data: unknown, timestamp: string): StreamEvent[] {
      const decider = byKind.get(kind);
      if (!decider) throw new Error(`no decider for ${kind}`);
      const stream = streamName(kind, id);
      const commandId = `cmd-${++commands}`;
      const state = states.has(stream) ? states.get(stream) : decider.initialState();
      let produced: DomainEvent[];
      try {
        produced = decider.decide({ type, data, metadata: { commandId, timestamp, kind, id } }, state);
      } catch (err) {
        if (isDomainRejection(err)) return [];
        throw err;
      }
      states.set(stream, produced.reduce((s, e) => decider.evolve(s, e), state));
      return produced.map((e) => ({ stream, event: { id: randomUUID(), type: e.type, data: e.data, metadata: { commandId, timestamp } } }));
    },
  };
}

/** Splits `items` at the given cut points (any numbers; taken modulo the length). */
export function batches<T>(items: readonly T[], cuts: readonly number[]): T[][] {
  const at = [...new Set(cuts.map((c) => (items.length === 0 ? 0 : c % items.length)))].sort((a, b) => a - b);
  const out: T[][] = [];
  let from = 0;
  for (const c of [...at, items.length]) {
    if (c > from) out.push(items.slice(from, c));
    from = Math.max(from, c);
  }
  return out;
}

/** Delivers the batches one by one (the incremental run), then rebuilds from zero; returns both dumps. */
export async function incrementalAndRebuilt(projection: Projection, tables: readonly string[], groups: readonly (readonly StreamEvent[])[]): Promise<{ incremental: string; rebuilt: string }> {
  const rm = await openReadModel([projection]);
  try {
    for (const g of groups) await rm.deliver(g);
    const incremental = rm.dump(tables);
    const head = await rm.store.headPosition();
    await rm.runner.rebuild(projection.name);
    await rm.runner.waitFor(head);
    return { incremental, rebuilt: rm.dump(tables) };
  } finally {
    await rm.close();
  }
}
