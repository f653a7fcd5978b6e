import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { BroadcastChannel, Worker } from 'node:worker_threads';
import { StoreClosedError, StreamNotFoundError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { workerUrl } from '../shared/workerUrl.js';
import { SERIALIZED, activePrefixes, type AppendOptions, type AppendResult, type EventData, type EventStore, type ReadAllOptions, type ReadStreamOptions, type RecordedEvent, type SubscribeAllOptions } from './eventStore.js';
import { followAll } from './followAll.js';
import { NumberedQueue } from '../shared/numberedQueue.js';
import { EVENT_COLUMNS, ensureSchema } from './sqliteSchema.js';
import { createSqliteWriter, reviveError, type AppendOutcome, type AppendRequest, type SerializedError } from './sqliteWriter.js';

export interface SqliteEventStoreOptions {
  /** File path, or ':memory:' for tests that do not need a file. */
  path: string;
  /** FULL (default) makes every acknowledged append survive a power cut. */
  synchronous?: 'FULL' | 'NORMAL' | 'OFF';
  /** At most this many events in one group commit. */
  maxBatchEvents?: number;
  /** How often to look for appends made by other processes on the same file while subscribers wait. */
  foreignPollMs?: number;
  logger?: Logger;
}

interface PendingAppend {
  request: AppendRequest;
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

/** Commits a group of appends: on a writer thread (files) or right here (':memory:'). */
interface Committer {
  commit(batch: AppendRequest[]): Promise<AppendOutcome[]>;
  close(): Promise<void>;
}

/**
 * The embedded event store: one SQLite file in WAL mode with synchronous=FULL.
 *
 * Writes go to a writer thread one group at a time: while it commits (and waits for fsync),
 * appends keep arriving and queue up, and the whole queue is the next group. One fsync thus
 * covers many actors' appends, and the caller's event loop never blocks on the disk. WAL
 * checkpoints run on another thread. Reads use this thread's own connection.
 */
export function getSqliteEventStore(opts: SqliteEventStoreOptions): EventStore {
  const inMemory = opts.path === ':memory:';
  if (!inMemory) mkdirSync(dirname(opts.path), { recursive: true });
  const db = new Database(opts.path);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${opts.synchronous ?? 'FULL'}`);
  db.pragma('busy_timeout = 5000');
  ensureSchema(db);
  // Started by the first write: a store opened only to read (the relay's, the projections') has
  // no writer or checkpointer threads of its own.
  let committer: Committer | undefined;
  const writer = (): Committer => (committer ??= inMemory ? inThreadCommitter(db) : threadCommitter(opts));

  const maxBatchEvents = opts.maxBatchEvents ?? 20_000;
  const foreignPollMs = opts.foreignPollMs ?? 200;

  const lastRevisionStmt = db.prepare('SELECT revision FROM events WHERE stream = ? ORDER BY revision DESC LIMIT 1').pluck();
  const readForwardStmt = db.prepare(`SELECT ${EVENT_COLUMNS} FROM events WHERE stream = ? AND revision >= ? ORDER BY revision ASC LIMIT ?`);
  const readBackwardStmt = db.prepare(`SELECT ${EVENT_COLUMNS} FROM events WHERE stream = ? AND revision <= ? ORDER BY revision DESC LIMIT ?`);
  const readAllStmt = db.prepare(`SELECT ${EVENT_COLUMNS} FROM events WHERE position > ? ORDER BY position ASC LIMIT ?`);
  const headStmt = db.prepare('SELECT COALESCE(MAX(position), 0) FROM events').pluck();
  const dataVersionStmt = db.prepare('PRAGMA data_version').pluck();

  const readPage = (after: number, limit: number) => {
    const events = (readAllStmt.all(after, limit) as EventRow[]).map(toRecorded);
    return { events, through: events.at(-1)?.position ?? after };
  };

  /**
   * Reads only the prefixes' streams, up to the head seen just before (so `through` is exact even
   * with no match). `+stream` keeps SQLite walking positions in order rather than the stream index.
   */
  function filteredReader(prefixes: readonly string[]) {
    const stmt = db.prepare(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE position > ? AND position <= ? AND (${prefixes.map(() => '(+stream >= ? AND +stream < ?)').join(' OR ')}) ORDER BY position ASC LIMIT ?`,
    );
    const bounds = prefixes.flatMap((p) => [p, p.slice(0, -1) + String.fromCharCode(p.charCodeAt(p.length - 1) + 1)]);
    const watched = (stream: string) => prefixes.some((p) => stream.startsWith(p));
    // Foreign commits this follower has not read past yet (-1: it has not read at all).
    let readForeign = -1;
    return (after: number, limit: number) => {
      // Woken only by this store's own commits, none to a watched stream: nothing to read.
      if (readForeign === foreignCommits) {
        const through = skipUnwatched(after, watched);
        if (through === localCommits.at(-1)?.to) return { events: [], through };
      }
      readForeign = foreignCommits;
      const head = headStmt.get() as number;
      const events = (stmt.all(after, head, ...bounds, limit) as EventRow[]).map(toRecorded);
      return { events, through: events.length === limit ? events.at(-1)!.position : Math.max(head, after) };
    };
  }

  let queue: PendingAppend[] = [];
  let inFlight: Promise<void> | undefined;
  let sendScheduled = false;
  let closed = false;
  // An array swapped on each wake, not a Set emptied and refilled (see NumberedQueue).
  let waiters: Array<() => void> = [];
  let foreignTimer: NodeJS.Timeout | undefined;
  let lastDataVersion = dataVersionStmt.get() as number;
  let commits = 0;
  /** Commits noticed from elsewhere (other threads, other processes): what this store cannot describe. */
  let foreignCommits = 0;
  /**
   * This store's recent commits, in position order: which streams each wrote. A filtered follower
   * woken by them reads nothing when none is a stream it watches (the process managers, at every
   * commit, would otherwise query SQLite for each one).
   */
  const LOCAL_COMMITS_KEPT = 256;
  let localCommits: Array<{ from: number; to: number; streams: string[] }> = [];
  // Store instances on the same file in other threads of this process (the relay runs in a
  // worker) are woken through this channel the moment a commit lands; other processes are
  // found by the data_version poll below.
  const channel = inMemory ? undefined : new BroadcastChannel(`edgeplane-sqlite:${resolve(opts.path)}`);
  if (channel) {
    channel.onmessage = () => {
      foreignCommits++;
      wakeSubscribers();
    };
    channel.unref();
  }

  function scheduleSend(): void {
    if (inFlight || sendScheduled || queue.length === 0) return;
    sendScheduled = true;
    // The rest of this turn's appends join the group.
    setImmediate(send);
  }

  function send(): void {
    sendScheduled = false;
    if (inFlight || queue.length === 0) return;
    let events = 0;
    let take = 0;
    while (take < queue.length && (take === 0 || events + queue[take]!.request.events.length <= maxBatchEvents)) {
      events += queue[take]!.request.events.length;
      take++;
    }
    const group = queue.slice(0, take);
    queue = queue.slice(take);
    inFlight = writer().commit(group.map((p) => p.request)).then(
      (outcomes) => {
        noteLocalCommit(group, outcomes);
        outcomes.forEach((o, i) => (o.ok ? group[i]!.resolve(o.value) : group[i]!.reject(reviveError(o.error))));
        afterCommit();
      },
      (err: unknown) => {
        opts.logger?.error({ err, appends: group.length }, 'group commit failed');
        for (const p of group) p.reject(err);
        afterCommit();
      },
    );
  }

  /** The positions a group stored (one transaction: contiguous) and the streams it stored them in. */
  function noteLocalCommit(group: PendingAppend[], outcomes: AppendOutcome[]): void {
    let from = Infinity;
    let to = 0;
    const streams: string[] = [];
    outcomes.forEach((o, i) => {
      if (!o.ok || !o.fresh) return;
      from = Math.min(from, o.value.firstPosition ?? o.value.position);
      to = Math.max(to, o.value.position);
      streams.push(group[i]!.request.stream);
    });
    if (to === 0) return;
    localCommits.push({ from, to, streams });
    if (localCommits.length > 2 * LOCAL_COMMITS_KEPT) localCommits = localCommits.slice(-LOCAL_COMMITS_KEPT);
  }

  /** How far past `after` this store's own commits go without a gap or a stream `watched` wants. */
  function skipUnwatched(after: number, watched: (stream: string) => boolean): number {
    let i = localCommits.length;
    while (i > 0 && localCommits[i - 1]!.to > after) i--;
    let through = after;
    for (; i < localCommits.length; i++) {
      const c = localCommits[i]!;
      if (c.from !== through + 1 || c.streams.some(watched)) break;
      through = c.to;
    }
    return through;
  }

  function afterCommit(): void {
    inFlight = undefined;
    wakeSubscribers();
    channel?.postMessage(0);
    // What queued during the commit goes at once: it has already waited one commit.
    if (queue.length > 0) send();
  }

  function wakeSubscribers(): void {
    commits++;
    wakeAll();
  }

  function wakeAll(): void {
    if (waiters.length === 0) return;
    const woken = waiters;
    waiters = [];
    for (const w of woken) w();
  }

  function waitForAppend(): Promise<void> {
    return new Promise((resolve) => {
      if (closed) return resolve();
      waiters.push(resolve);
      ensureForeignPoll();
    });
  }

  // Another process appending to the same file cannot wake us in-process; PRAGMA data_version
  // changes when it commits, so poll it, but only while someone is waiting.
  function ensureForeignPoll(): void {
    if (foreignTimer || closed) return;
    foreignTimer = setInterval(() => {
      if (waiters.length === 0) {
        clearInterval(foreignTimer);
        foreignTimer = undefined;
        return;
      }
      // data_version also moves with this store's own commits (its writer is another connection):
      // then followers read once for nothing, at most once per interval.
      const v = dataVersionStmt.get() as number;
      if (v !== lastDataVersion) {
        lastDataVersion = v;
        foreignCommits++;
        wakeSubscribers();
      }
    }, foreignPollMs);
    foreignTimer.unref();
  }

  return {
    name: 'sqlite',

    append(stream, events: readonly EventData[], expected, o: AppendOptions = {}) {
      if (closed) return Promise.reject(new StoreClosedError());
      if (events.length === 0) return Promise.reject(new RangeError('append needs at least one event'));
      const request: AppendRequest = {
        stream,
        expected,
        events: events.map((e) => ({ id: e.id, type: e.type, data: JSON.stringify(e.data ?? null), metadata: JSON.stringify(e.metadata ?? {}) })),
      };
      if (o.fences && o.fences.length > 0) request.fences = o.fences;
      return new Promise<AppendResult>((resolve, reject) => {
        queue.push({ request, resolve, reject });
        scheduleSend();
      });
    },

    raiseFence(fence) {
      if (closed) return Promise.reject(new StoreClosedError());
      // Through the writer like an append, so it is ordered with the appends around it.
      const request: AppendRequest = { stream: '', expected: 'any', events: [], fences: [fence] };
      return new Promise<AppendResult>((resolve, reject) => {
        queue.push({ request, resolve, reject });
        scheduleSend();
      }).then((r) => r.position);
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
      const prefixes = activePrefixes(o.streamPrefixes);
      return followAll({
        after: o.after ?? 0,
        signal: o.signal,
        isClosed: () => closed,
        version: () => commits,
        read: prefixes ? filteredReader(prefixes) : readPage,
        waitForAppend,
        wakeAll,
        onCheckpoint: o.onCheckpoint,
        batchWindowMs: o.batchWindowMs,
      });
    },

    async headPosition() {
      if (closed) throw new StoreClosedError();
      return headStmt.get() as number;
    },

    async close() {
      if (closed) return;
      // Everything accepted before close is committed first.
      while (inFlight || queue.length > 0) {
        if (!inFlight) send();
        await inFlight;
      }
      closed = true;
      if (foreignTimer) clearInterval(foreignTimer);
      channel?.close();
      wakeSubscribers();
      await committer?.close();
      db.close();
    },
  };
}

function inThreadCommitter(db: Database.Database): Committer {
  const writer = createSqliteWriter(db);
  return { commit: async (batch) => writer.commit(batch), close: async () => undefined };
}

/** The writer thread plus the WAL checkpointer thread. */
function threadCommitter(opts: SqliteEventStoreOptions): Committer {
  const writer = new Worker(workerUrl(import.meta.url, 'sqliteWriterThread'), { workerData: { path: opts.path, synchronous: opts.synchronous ?? 'FULL' } });
  const checkpointer = new Worker(workerUrl(import.meta.url, 'sqliteCheckpointer'), { workerData: { path: opts.path, intervalMs: 200 } });
  checkpointer.unref();
  checkpointer.on('error', (err) => opts.logger?.error({ err }, 'WAL checkpointer failed'));
  const pending = new NumberedQueue<{ resolve: (o: AppendOutcome[]) => void; reject: (e: unknown) => void }>();
  let crashed: unknown;
  writer.on('message', (m: { seq?: number; outcomes?: AppendOutcome[]; failed?: SerializedError }) => {
    const p = m.seq === undefined ? undefined : pending.take(m.seq);
    if (!p) return;
    if (m.outcomes) p.resolve(m.outcomes);
    else p.reject(reviveError(m.failed!));
  });
  writer.on('error', (err) => {
    crashed = err;
    opts.logger?.error({ err }, 'SQLite writer thread failed');
    for (const p of pending.drain()) p.reject(err);
  });
  return {
    commit(batch) {
      if (crashed) return Promise.reject(crashed);
      return new Promise((resolve, reject) => {
        writer.postMessage({ seq: pending.add({ resolve, reject }), batch });
      });
    },
    async close() {
      const closedWriter = new Promise((r) => writer.once('message', r));
      writer.postMessage({ close: true });
      await Promise.race([closedWriter, new Promise((r) => setTimeout(r, 2000))]);
      await writer.terminate();
      const closedCheckpointer = new Promise((r) => checkpointer.once('message', r));
      checkpointer.postMessage('close');
      await Promise.race([closedCheckpointer, new Promise((r) => setTimeout(r, 2000))]);
      await checkpointer.terminate();
    },
  };
}

/**
 * A stored event. `data` and `metadata` are parsed when first read, and the event serialises from
 * the stored text directly (SERIALIZED), so following `$all` to republish it parses nothing.
 */
class SqliteRecordedEvent implements RecordedEvent {
  readonly id: string;
  readonly type: string;
  readonly stream: string;
  readonly revision: number;
  readonly position: number;
  #data: string;
  #metadata: string;
  #parsedData: unknown;
  #parsedMetadata: RecordedEvent['metadata'] | undefined;

  constructor(row: EventRow) {
    this.id = row.id;
    this.type = row.type;
    this.stream = row.stream;
    this.revision = row.revision;
    this.position = row.position;
    this.#data = row.data;
    this.#metadata = row.metadata;
  }

  get data(): unknown {
    if (this.#parsedData === undefined) this.#parsedData = JSON.parse(this.#data);
    return this.#parsedData;
  }

  get metadata(): RecordedEvent['metadata'] {
    this.#parsedMetadata ??= JSON.parse(this.#metadata) as RecordedEvent['metadata'];
    return this.#parsedMetadata;
  }

  toJSON(): RecordedEvent {
    return { id: this.id, type: this.type, data: this.data, metadata: this.metadata, stream: this.stream, revision: this.revision, position: this.position };
  }

  [SERIALIZED](): string {
    return `{"id":${JSON.stringify(this.id)},"type":${JSON.stringify(this.type)},"data":${this.#data},"metadata":${this.#metadata},"stream":${JSON.stringify(this.stream)},"revision":${this.revision},"position":${this.position}}`;
  }
}

function toRecorded(row: EventRow): RecordedEvent {
  return new SqliteRecordedEvent(row);
}
