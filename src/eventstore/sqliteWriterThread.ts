import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import { ensureSchema } from './sqliteSchema.js';
import { WRITER_CACHE_KIB, createSqliteWriter, serializeError, type AppendRequest } from './sqliteWriter.js';

/**
 * The SQLite store's writer on its own thread: while it waits for fsync, the actor host keeps
 * deciding, and whatever queues up meanwhile is the next group commit.
 */
const { path, synchronous } = workerData as { path: string; synchronous: string };
const db = new Database(path);
db.pragma('journal_mode = WAL');
db.pragma(`synchronous = ${synchronous}`);
db.pragma('busy_timeout = 5000');
db.pragma('wal_autocheckpoint = 0');
db.pragma(`cache_size = -${WRITER_CACHE_KIB}`);
ensureSchema(db);
const writer = createSqliteWriter(db);

parentPort!.on('message', (m: { seq: number; batch: AppendRequest[] } | { close: true }) => {
  if ('close' in m) {
    db.close();
    parentPort!.postMessage({ closed: true });
    return;
  }
  try {
    parentPort!.postMessage({ seq: m.seq, outcomes: writer.commit(m.batch) });
  } catch (e) {
    parentPort!.postMessage({ seq: m.seq, failed: serializeError(e) });
  }
});
