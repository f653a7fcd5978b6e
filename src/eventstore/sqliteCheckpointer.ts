import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import { runAsBackgroundThread } from '../shared/threadPriority.js';

/**
 * Moves WAL checkpoints (copying the log into the database file, with its fsync) off the
 * writer's thread: the writer runs with wal_autocheckpoint=0, this thread checkpoints PASSIVE
 * (never blocking the writer) every `intervalMs`.
 */
const { path, intervalMs } = workerData as { path: string; intervalMs: number };
runAsBackgroundThread();
const db = new Database(path);
db.pragma('busy_timeout = 1000');
db.pragma('synchronous = FULL');

const timer = setInterval(() => {
  try {
    // PASSIVE only: it never takes the writer's lock. SQLite restarts the log from its start at
    // the next write once everything in it is checkpointed, so the file stops growing by itself.
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // Busy or closing: the next tick tries again; the writer never depends on this.
  }
}, intervalMs);

parentPort!.on('message', () => {
  clearInterval(timer);
  db.close();
  parentPort!.postMessage('closed');
});
