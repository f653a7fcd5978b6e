import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { BroadcastChannel, Worker } from 'node:worker_threads';
import { workerUrl } from '../shared/workerUrl.js';
import { DuplicateEventIdError, StoreClosedError, StreamNotFoundError, WrongExpectedRevisionError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type {
  AppendResult,
  EventData,
  EventStore,
  ExpectedRevision,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  SubscribeAllOptions,
} from './eventStore.js';
import { followAll } from './followAll.js';

export interface SqliteEventStoreOptions {
  /** File path, or ':memory:' for tests that do not need a file. */
  path: string;
  /** FULL (default) makes every acknowledged append survive a power cut. */
  synchronous?: 'FULL' | 'NORMAL' | 'OFF';
  /** Appends queued together are committed in one transaction, up to this many events. */
  maxBatchEvents?: number;
  /** How often to look for appends made by other processes on the same file while subscribers wait. */
  foreignPollMs?: number;
  /** Checkpoint the WAL on a worker thread instead of inside commits (the control plane's writer). */
  backgroundCheckpoint?: boolean;
  logger?: Logger;
}

interface PendingAppend {
  stream: string;
  events: readonly EventData[];
  expected: ExpectedRevision;
  resolve: (r: AppendResult) => void;
  reject: (e: unknown) => void;
}

interface EventRow {
  position: number;
  stream: string;
  revision: number;
  id: string;
  type: string;
  data: string;
  metadata: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS events (
  position  INTEGER PRIMARY KEY,          -- global order; max+1 in the write transaction, so no gaps
  stream    TEXT    NOT NULL,
  revision  INTEGER NOT NULL,
  id        TEXT    NOT NULL UNIQUE,
  type      TEXT    NOT NULL,
  data      TEXT    NOT NULL,
  metadata  TEXT    NOT NULL,
  UNIQUE (stream, revision)
);
`;

/**
 * The embedded event store: one SQLite file in WAL mode. Appends that arrive in the same turn of
 * the event loop are committed together (group commit), each checked on its own inside a
 * savepoint, so with synchronous=FULL one fsync covers many actors' appends.
 */
export function getSqliteEventStore(opts: SqliteEventStoreOptions): EventStore {
  if (opts.path !== ':memory:') mkdirSync(dirname(opts.path), { recursive: true });
  const db = new Database(opts.path);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${opts.synchronous ?? 'FULL'}`);
  db.pragma('busy_timeout = 5000');
  db.exec(SCHEMA);
  let checkpointer: Worker | undefined;
  if (opts.backgroundCheckpoint && opts.path !== ':memory:') {
    db.pragma('wal_autocheckpoint = 0');
    checkpointer = new Worker(workerUrl(import.meta.url, 'sqliteCheckpointer'), { workerData: { path: opts.path, intervalMs: 200 } });
    checkpointer.unref();
    checkpointer.on('error', (err) => opts.logger?.error({ err }, 'WAL checkpointer failed'));
  }

  const maxBatchEvents = opts.maxBatchEvents ?? 5000;
  const foreignPollMs = opts.foreignPollMs ?? 200;

  const lastRevisionStmt = db.prepare('SELECT revision FROM events WHERE stream = ? ORDER BY revision DESC LIMIT 1').pluck();
  const byIdStmt = db.prepare('SELECT stream, revision, position FROM events WHERE id = ?');
  const insertStmt = db.prepare('INSERT INTO events (stream, revision, id, type, data, metadata) VALUES (?, ?, ?, ?, ?, ?)');
  const readForwardStmt = db.prepare('SELECT * FROM events WHERE stream = ? AND revision >= ? ORDER BY revision ASC LIMIT ?');
  const readBackwardStmt = db.prepare('SELECT * FROM events WHERE stream = ? AND revision <= ? ORDER BY revision DESC LIMIT ?');
  const readAllStmt = db.prepare('SELECT * FROM events WHERE position > ? ORDER BY position ASC LIMIT ?');
  const headStmt = db.prepare('SELECT COALESCE(MAX(position), 0) FROM events').pluck();
  const dataVersionStmt = db.prepare('PRAGMA data_version').pluck();

  let queue: PendingAppend[] = [];
  let queuedEvents = 0;
  let flushScheduled = false;
  let closed = false;
  const waiters = new Set<() => void>();
  let foreignTimer: NodeJS.Timeout | undefined;
  let lastDataVersion = dataVersionStmt.get() as number;
  let commits = 0;
  // Store instances on the same file in other threads of this process (the relay runs in a
  // worker) are woken through this channel the moment a commit lands; other processes are
  // found by the data_version poll below.
  const channel = opts.path === ':memory:' ? undefined : new BroadcastChannel(`edgeplane-sqlite:${resolve(opts.path)}`);
  if (channel) {
    channel.onmessage = () => wakeSubscribers();
    channel.unref();
  }

  /** Checks, then inserts. `progress.inserted` tells whether a failure left rows behind. */
  function appendOne(req: PendingAppend, progress = { inserted: false }): AppendResult {
    const { stream, events, expected } = req;
    const current = lastRevisionStmt.get(stream) as number | undefined;
    const replay = idempotentResult(stream, events, expected);
    if (replay) return replay;
    checkExpected(stream, expected, current);
    progress.inserted = true;
    let revision = current ?? -1;
    let position = 0;
    for (const e of events) {
      revision += 1;
      try {
        position = Number(insertStmt.run(stream, revision, e.id, e.type, JSON.stringify(e.data ?? null), JSON.stringify(e.metadata ?? {})).lastInsertRowid);
      } catch (err) {
        if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
          throw new DuplicateEventIdError(e.id, stream, byIdStmt.get(e.id) as { stream: string; revision: number } | undefined);
        }
        throw err;
      }
    }
    return { nextRevision: revision, position, firstPosition: position - events.length + 1 };
  }

  /** EventStoreDB's idempotence: the same ids already stored where this append would put them. */
  function idempotentResult(stream: string, events: readonly EventData[], expected: ExpectedRevision): AppendResult | undefined {
    const first = events[0];
    if (!first) return undefined;
    const found = byIdStmt.get(first.id) as { stream: string; revision: number; position: number } | undefined;
    if (!found) return undefined;
    const samePlace =
      found.stream === stream &&
      (expected === 'any' || expected === 'stream_exists' || (expected === 'no_stream' ? found.revision === 0 : found.revision === expected + 1));
    if (!samePlace) throw new DuplicateEventIdError(first.id, stream, found);
    let last = found;
    for (let i = 1; i < events.length; i++) {
      const next = byIdStmt.get(events[i]!.id) as typeof found | undefined;
      if (!next || next.stream !== stream || next.revision !== found.revision + i) throw new DuplicateEventIdError(events[i]!.id, stream, next);
      last = next;
    }
    return { nextRevision: last.revision, position: last.position, firstPosition: found.position };
  }

  type Outcome = { ok: true; value: AppendResult } | { ok: false; error: unknown };

  // Fast path: appends are checked before they write, so a refused one leaves nothing behind
  // and needs no savepoint. Only a failure in the middle of inserting (a constraint, I/O) would
  // leave part of an append, and then the whole group is redone with one savepoint per append.
  const commitFast = db.transaction((batch: PendingAppend[]) => {
    const results: Outcome[] = [];
    for (const req of batch) {
      const progress = { inserted: false };
      try {
        results.push({ ok: true, value: appendOne(req, progress) });
      } catch (error) {
        if (progress.inserted) throw new PartialAppend(error);
        results.push({ ok: false, error });
      }
    }
    return results;
  });
  const appendInSavepoint = db.transaction((req: PendingAppend) => appendOne(req));
  const commitWithSavepoints = db.transaction((batch: PendingAppend[]) => {
    const results: Outcome[] = [];
    for (const req of batch) {
      try {
        results.push({ ok: true, value: appendInSavepoint(req) });
      } catch (error) {
        results.push({ ok: false, error });
      }
    }
    return results;
  });
  // BEGIN IMMEDIATE: take the write lock before the first read, so a busy file (another
  // process, a checkpoint) is waited for with busy_timeout rather than failing the upgrade.
  const commitBatch = (batch: PendingAppend[]): Outcome[] => {
    try {
      return commitFast.immediate(batch);
    } catch (e) {
      if (!(e instanceof PartialAppend)) throw e;
      return commitWithSavepoints.immediate(batch);
    }
  };

  function flush(): void {
    flushScheduled = false;
    if (queue.length === 0) return;
    const batch = queue;
    queue = [];
    queuedEvents = 0;
    let results;
    try {
      results = commitBatch(batch);
    } catch (error) {
      opts.logger?.error({ err: error, appends: batch.length }, 'group commit failed');
      for (const req of batch) req.reject(error);
      return;
    }
    for (let i = 0; i < batch.length; i++) {
      const r = results[i]!;
      if (r.ok) batch[i]!.resolve(r.value);
      else batch[i]!.reject(r.error);
    }
    lastDataVersion = dataVersionStmt.get() as number;
    wakeSubscribers();
    channel?.postMessage(0);
  }

  function wakeSubscribers(): void {
    commits++;
    if (waiters.size === 0) return;
    const woken = [...waiters];
    waiters.clear();
    for (const w of woken) w();
  }

  function waitForAppend(signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted || closed) return resolve();
      const done = () => {
        waiters.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      waiters.add(done);
      signal?.addEventListener('abort', done, { once: true });
      ensureForeignPoll();
    });
  }

  // Another process appending to the same file cannot wake us in-process; PRAGMA data_version
  // changes when it commits, so poll it, but only while someone is waiting.
  function ensureForeignPoll(): void {
    if (foreignTimer || closed) return;
    foreignTimer = setInterval(() => {
      if (waiters.size === 0) {
        clearInterval(foreignTimer);
        foreignTimer = undefined;
        return;
      }
      const v = dataVersionStmt.get() as number;
      if (v !== lastDataVersion) {
        lastDataVersion = v;
        wakeSubscribers();
      }
    }, foreignPollMs);
    foreignTimer.unref();
  }

  const store: EventStore = {
    name: 'sqlite',

    append(stream, events, expected) {
      if (closed) return Promise.reject(new StoreClosedError());
      if (events.length === 0) {
        return Promise.reject(new RangeError('append needs at least one event'));
      }
      return new Promise<AppendResult>((resolve, reject) => {
        queue.push({ stream, events, expected, resolve, reject });
        queuedEvents += events.length;
        if (queuedEvents >= maxBatchEvents) flush();
        else if (!flushScheduled) {
          flushScheduled = true;
          setImmediate(flush);
        }
      });
    },

    async readStream(stream, o: ReadStreamOptions = {}) {
      if (closed) throw new StoreClosedError();
      const limit = o.limit ?? Number.MAX_SAFE_INTEGER;
      const rows = (o.direction === 'backwards'
        ? readBackwardStmt.all(stream, o.fromRevision ?? Number.MAX_SAFE_INTEGER, limit)
        : readForwardStmt.all(stream, o.fromRevision ?? 0, limit)) as EventRow[];
      if (rows.length === 0 && lastRevisionStmt.get(stream) === undefined) throw new StreamNotFoundError(stream);
      return rows.map(toRecorded);
    },

    async streamRevision(stream) {
      if (closed) throw new StoreClosedError();
      return lastRevisionStmt.get(stream) as number | undefined;
    },

    async readAll(o: ReadAllOptions = {}) {
      if (closed) throw new StoreClosedError();
      return (readAllStmt.all(o.after ?? 0, o.limit ?? Number.MAX_SAFE_INTEGER) as EventRow[]).map(toRecorded);
    },

    subscribeAll(o: SubscribeAllOptions = {}) {
      return followAll({
        after: o.after ?? 0,
        signal: o.signal,
        isClosed: () => closed,
        version: () => commits,
        read: (after, limit) => (readAllStmt.all(after, limit) as EventRow[]).map(toRecorded),
        waitForAppend,
      });
    },

    async headPosition() {
      if (closed) throw new StoreClosedError();
      return headStmt.get() as number;
    },

    async close() {
      if (closed) return;
      flush();
      closed = true;
      if (foreignTimer) clearInterval(foreignTimer);
      channel?.close();
      wakeSubscribers();
      if (checkpointer) {
        const cp = checkpointer;
        cp.postMessage('close');
        await Promise.race([new Promise((r) => cp.once('message', r)), new Promise((r) => setTimeout(r, 2000))]);
        await cp.terminate();
      }
      db.close();
    },
  };
  return store;
}

class PartialAppend extends Error {
  constructor(cause: unknown) {
    super('an append failed part-way', { cause });
  }
}

function checkExpected(stream: string, expected: ExpectedRevision, current: number | undefined): void {
  if (expected === 'any') return;
  if (expected === 'no_stream') {
    if (current !== undefined) throw new WrongExpectedRevisionError(stream, expected, current);
    return;
  }
  if (expected === 'stream_exists') {
    if (current === undefined) throw new WrongExpectedRevisionError(stream, expected, 'no_stream');
    return;
  }
  if (current !== expected) throw new WrongExpectedRevisionError(stream, expected, current ?? 'no_stream');
}

function toRecorded(row: EventRow): RecordedEvent {
  return {
    id: row.id,
    type: row.type,
    data: JSON.parse(row.data),
    metadata: JSON.parse(row.metadata),
    stream: row.stream,
    revision: row.revision,
    position: row.position,
  };
}
