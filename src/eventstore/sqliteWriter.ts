import type Database from 'better-sqlite3';
import { DuplicateEventIdError, EdgeplaneError, FencedError, WrongExpectedRevisionError } from '../shared/errors.js';
import type { AppendResult, ExpectedRevision, Fence } from './eventStore.js';
import { idKey } from './sqliteSchema.js';

/** One append as the writer receives it: data and metadata already JSON text. */
export interface AppendRequest {
  stream: string;
  expected: ExpectedRevision;
  events: Array<{ id: string; type: string; data: string; metadata: string }>;
  fences?: readonly Fence[];
}

/** Errors cross the thread boundary as plain data and are revived as the same typed errors. */
export type SerializedError =
  | { kind: 'wrong-revision'; stream: string; expected: ExpectedRevision; actual: number | 'no_stream' }
  | { kind: 'duplicate-id'; eventId: string; stream: string; storedAt?: { stream: string; revision: number } }
  | { kind: 'fenced'; key: string; token: number; current: number }
  | { kind: 'other'; message: string; code?: string };

/** `fresh`: this append stored new events (not an idempotent replay, not only a fence). */
export type AppendOutcome = { ok: true; value: AppendResult; fresh?: true } | { ok: false; error: SerializedError };

/**
 * The writer's page cache (KiB; SQLite's default is 2 MiB). Event ids are random UUIDs, so their
 * index takes inserts all over its B-tree; with a small cache every insert soon reads pages back
 * from disk. 64 MiB keeps the index of tens of millions of events in memory.
 */
export const WRITER_CACHE_KIB = 65_536;

class PartialAppend extends Error {}

/**
 * The write side of the SQLite store: a group of appends committed in one transaction
 * (BEGIN IMMEDIATE, so a busy file is waited for rather than failing the lock upgrade).
 *
 * Each append is checked (expected revision; EventStoreDB's idempotence: the same ids already at
 * that place return the original result) before it writes, so a refused append leaves nothing
 * behind and needs no savepoint. Only a failure in the middle of its inserts (a duplicate id
 * inside the batch, an I/O error) redoes the whole group with one savepoint per append.
 */
export function createSqliteWriter(db: Database.Database): { commit(batch: AppendRequest[]): AppendOutcome[] } {
  const lastRevision = db.prepare('SELECT revision FROM events WHERE stream = ? ORDER BY revision DESC LIMIT 1').pluck();
  const byKey = db.prepare('SELECT stream, revision, position FROM events WHERE id_key = ? AND id = ?');
  const byId = (id: string) => byKey.get(idKey(id), id) as Found | undefined;
  const insert = db.prepare('INSERT INTO events (stream, revision, id, type, data, metadata, id_key) VALUES (?, ?, ?, ?, ?, ?, ?)');
  const fenceToken = db.prepare('SELECT token FROM fences WHERE key = ?').pluck();
  const raiseToken = db.prepare('INSERT INTO fences (key, token) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET token = excluded.token WHERE excluded.token > fences.token');
  type Found = { stream: string; revision: number; position: number };

  /** Checked in the write transaction, so no append with an old token lands after a newer token was seen. */
  function checkFences(fences: readonly Fence[] | undefined): number {
    let newest = 0;
    for (const f of fences ?? []) {
      const current = fenceToken.get(f.key) as number | undefined;
      if (current !== undefined && current > f.token) throw new FencedError(f.key, f.token, current);
      if (current === undefined || current < f.token) raiseToken.run(f.key, f.token);
      newest = Math.max(newest, current ?? 0, f.token);
    }
    return newest;
  }

  function appendOne(req: AppendRequest, progress: { inserted: boolean }): AppendResult {
    const { stream, events, expected } = req;
    if (events.length === 0) {
      // Only raising a fence (a new holder announcing its token).
      return { nextRevision: -1, position: checkFencesRaise(req.fences ?? []) };
    }
    const current = lastRevision.get(stream) as number | undefined;
    const replay = idempotentResult(req);
    if (replay) return replay;
    checkFences(req.fences);
    checkExpected(stream, expected, current);
    progress.inserted = true;
    let revision = current ?? -1;
    let position = 0;
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!;
      revision += 1;
      const key = idKey(e.id);
      // The first id was looked up just above (idempotentResult found nothing); the others may be
      // anywhere, this group's earlier inserts included.
      const existing = i === 0 ? undefined : (byKey.get(key, e.id) as Found | undefined);
      if (existing) throw new DuplicateEventIdError(e.id, stream, existing);
      position = Number(insert.run(stream, revision, e.id, e.type, e.data, e.metadata, key).lastInsertRowid);
    }
    return { nextRevision: revision, position, firstPosition: position - events.length + 1 };
  }

  function checkFencesRaise(fences: readonly Fence[]): number {
    let newest = 0;
    for (const f of fences) {
      raiseToken.run(f.key, f.token);
      newest = Math.max(newest, fenceToken.get(f.key) as number);
    }
    return newest;
  }

  function idempotentResult({ stream, events, expected }: AppendRequest): AppendResult | undefined {
    const found = byId(events[0]!.id);
    if (!found) return undefined;
    const samePlace =
      found.stream === stream &&
      (expected === 'any' || expected === 'stream_exists' || (expected === 'no_stream' ? found.revision === 0 : found.revision === expected + 1));
    if (!samePlace) throw new DuplicateEventIdError(events[0]!.id, stream, found);
    let last = found;
    for (let i = 1; i < events.length; i++) {
      const next = byId(events[i]!.id);
      if (!next || next.stream !== stream || next.revision !== found.revision + i) throw new DuplicateEventIdError(events[i]!.id, stream, next);
      last = next;
    }
    return { nextRevision: last.revision, position: last.position, firstPosition: found.position };
  }

  const run = (batch: AppendRequest[], savepoints: boolean): AppendOutcome[] =>
    batch.map((req) => {
      const progress = { inserted: false };
      try {
        const value = savepoints ? inSavepoint(req, progress) : appendOne(req, progress);
        return progress.inserted ? { ok: true, value, fresh: true } : { ok: true, value };
      } catch (error) {
        // In a savepoint its inserts were rolled back with it: only this append failed.
        if (progress.inserted && !savepoints) throw new PartialAppend();
        return { ok: false, error: serializeError(error) };
      }
    });
  const inSavepoint = db.transaction((req: AppendRequest, progress: { inserted: boolean }) => appendOne(req, progress));
  const fast = db.transaction((batch: AppendRequest[]) => run(batch, false));
  const careful = db.transaction((batch: AppendRequest[]) => run(batch, true));

  return {
    commit(batch) {
      try {
        return fast.immediate(batch);
      } catch (e) {
        if (!(e instanceof PartialAppend)) throw e;
        return careful.immediate(batch);
      }
    },
  };
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

export function serializeError(e: unknown): SerializedError {
  if (e instanceof WrongExpectedRevisionError) return { kind: 'wrong-revision', stream: e.stream, expected: e.expected, actual: e.actual };
  if (e instanceof DuplicateEventIdError) return { kind: 'duplicate-id', eventId: e.eventId, stream: e.stream, storedAt: e.storedAt };
  if (e instanceof FencedError) return { kind: 'fenced', key: e.key, token: e.token, current: e.current };
  return { kind: 'other', message: e instanceof Error ? e.message : String(e), code: (e as { code?: string })?.code };
}

export function reviveError(s: SerializedError): Error {
  switch (s.kind) {
    case 'wrong-revision':
      return new WrongExpectedRevisionError(s.stream, s.expected, s.actual);
    case 'duplicate-id':
      return new DuplicateEventIdError(s.eventId, s.stream, s.storedAt);
    case 'fenced':
      return new FencedError(s.key, s.token, s.current);
    case 'other':
      return new EdgeplaneError(s.code ?? 'ERR_STORE_WRITE', `event store write failed: ${s.message}`, s.code ? { sqliteCode: s.code } : {});
  }
}
