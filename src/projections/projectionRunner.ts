import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { kindFilters, type EventStore, type RecordedEvent } from '../eventstore/eventStore.js';
import type { Logger } from '../shared/logger.js';
import { createProgress } from '../shared/progress.js';

type Db = Database.Database;

/**
 * A projection folds the ordered event feed into tables of the read-model database. `apply`
 * runs inside the transaction that also advances the projection's checkpoint, so a crash can
 * never leave data and checkpoint apart; `reset` drops what `init` made, for a rebuild.
 */
export interface Projection {
  name: string;
  /** The actor kinds whose events it folds; omitted: every kind. */
  kinds?: readonly string[];
  /** Change it when the tables or the fold change: the projection is rebuilt from position 0. */
  version: string;
  init(db: Db): void;
  reset(db: Db): void;
  apply(db: Db, event: RecordedEvent): void;
  /** Called after each committed batch (e.g. to notify live subscribers); outside the transaction. */
  afterCommit?(events: readonly RecordedEvent[]): void;
}

export interface ProjectionRunner {
  readonly db: Db;
  position(name: string): number;
  /** Resolves once every projection has applied everything up to `position`. */
  waitFor(position: number, timeoutMs?: number): Promise<void>;
  /** Drops a projection's tables and folds it again from position 0 (all when no name). */
  rebuild(name?: string): Promise<void>;
  stop(): Promise<void>;
}

const CHECKPOINTS = `CREATE TABLE IF NOT EXISTS projection_checkpoints (
  name TEXT PRIMARY KEY, version TEXT NOT NULL, position INTEGER NOT NULL)`;

export function openReadModelDb(path: string): Db {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  // Read models are rebuilt from the events, so they do not need an fsync per batch.
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.exec(CHECKPOINTS);
  return db;
}

/** Once caught up, the projections read the store at most this often (ms): read models lag commits by at most this much more. */
export const PROJECTION_BATCH_WINDOW_MS = 5;

export function startProjections(opts: { store: EventStore; db: Db; projections: readonly Projection[]; logger: Logger; batchWindowMs?: number }): ProjectionRunner {
  const { store, db, projections, logger } = opts;
  const names = new Set<string>();
  for (const p of projections) {
    if (names.has(p.name)) throw new Error(`projection ${p.name} registered twice`);
    names.add(p.name);
  }
  const getCheckpoint = db.prepare('SELECT version, position FROM projection_checkpoints WHERE name = ?');
  const putCheckpoint = db.prepare(
    'INSERT INTO projection_checkpoints (name, version, position) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET version = excluded.version, position = excluded.position',
  );
  const positions = new Map<string, number>();

  const prepare = db.transaction((p: Projection, fresh: boolean) => {
    if (fresh) p.reset(db);
    p.init(db);
    if (fresh) putCheckpoint.run(p.name, p.version, 0);
  });
  for (const p of projections) {
    const row = getCheckpoint.get(p.name) as { version: string; position: number } | undefined;
    const stale = !row || row.version !== p.version;
    if (row && stale) logger.info({ projection: p.name, from: row.version, to: p.version }, 'projection version changed: rebuilding');
    prepare(p, stale);
    positions.set(p.name, stale ? 0 : row!.position);
  }

  const filters = kindFilters(projections);
  const wants = new Map(projections.map((p, i) => [p.name, filters.wants[i]!]));
  const applyBatch = db.transaction((p: Projection, events: readonly RecordedEvent[]) => {
    const from = positions.get(p.name)!;
    const wanted = wants.get(p.name)!;
    let last = from;
    for (const e of events) {
      if (e.position <= from) continue;
      if (wanted(e)) p.apply(db, e);
      last = e.position;
    }
    if (last !== from) putCheckpoint.run(p.name, p.version, last);
    return last;
  });

  const lowest = () => Math.min(...projections.map((p) => positions.get(p.name)!));
  const progress = createProgress('projections', lowest());
  let run = new AbortController();
  let loop: Promise<void>;

  const follow = () => {
    run = new AbortController();
    const signal = run.signal;
    loop = (async () => {
      try {
        // Every projection was handed every event up to `through` that any of them folds.
        const onCheckpoint = (through: number) => {
          for (const p of projections) positions.set(p.name, Math.max(positions.get(p.name)!, through));
          progress.advance(lowest());
        };
        for await (const batch of store.subscribeAll({ after: lowest(), signal, streamPrefixes: filters.streamPrefixes, onCheckpoint, batchWindowMs: opts.batchWindowMs ?? PROJECTION_BATCH_WINDOW_MS })) {
          for (const p of projections) {
            const before = positions.get(p.name)!;
            const after = applyBatch(p, batch);
            positions.set(p.name, after);
            if (after !== before) p.afterCommit?.(batch.filter((e) => e.position > before && wants.get(p.name)!(e)));
          }
          progress.advance(lowest());
        }
      } catch (err) {
        if (!signal.aborted) logger.error({ err }, 'projections stopped on an error');
      }
    })();
  };
  follow();

  return {
    db,
    position: (name) => positions.get(name) ?? 0,
    waitFor: (at, timeoutMs) => progress.waitFor(at, timeoutMs),
    async rebuild(name) {
      run.abort();
      await loop;
      for (const p of projections) {
        if (name !== undefined && p.name !== name) continue;
        prepare(p, true);
        positions.set(p.name, 0);
      }
      progress.advance(lowest());
      follow();
    },
    async stop() {
      run.abort();
      await loop;
    },
  };
}
