import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export interface Snapshot<State = unknown> {
  /** Revision of the last event folded into `state`. */
  revision: number;
  /** Changes when a decider's state shape changes, so old snapshots are ignored. */
  version: string;
  state: State;
  /** Ids of the commands most recently applied, so a redelivery is recognised after rehydration. */
  recentCommands: Array<[commandId: string, firstRevision: number, lastRevision: number]>;
}

/** Snapshots are a cache: losing one only costs a longer replay, never correctness. */
export interface SnapshotStore {
  load(stream: string): Snapshot | undefined;
  save(stream: string, snapshot: Snapshot): void;
  close(): void;
}

export function getSqliteSnapshotStore(opts: { path: string }): SnapshotStore {
  if (opts.path !== ':memory:') mkdirSync(dirname(opts.path), { recursive: true });
  const db = new Database(opts.path);
  db.pragma('journal_mode = WAL');
  // A lost snapshot is rebuilt from events, so it needs no fsync of its own.
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.exec('CREATE TABLE IF NOT EXISTS snapshots (stream TEXT PRIMARY KEY, revision INTEGER NOT NULL, body TEXT NOT NULL)');
  const get = db.prepare('SELECT body FROM snapshots WHERE stream = ?').pluck();
  const put = db.prepare(
    'INSERT INTO snapshots (stream, revision, body) VALUES (?, ?, ?) ON CONFLICT(stream) DO UPDATE SET revision = excluded.revision, body = excluded.body WHERE excluded.revision > snapshots.revision',
  );
  return {
    load(stream) {
      const body = get.get(stream) as string | undefined;
      return body === undefined ? undefined : (JSON.parse(body) as Snapshot);
    },
    save(stream, snapshot) {
      put.run(stream, snapshot.revision, JSON.stringify(snapshot));
    },
    close() {
      db.close();
    },
  };
}
