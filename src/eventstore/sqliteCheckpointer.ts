import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';

/**
 * Moves WAL checkpoints (copying the log into the database file, with its fsync) off the
 * writer's thread: the writer runs with wal_autocheckpoint=0, this thread checkpoints PASSIVE
 * (never blocking the writer) whenever the log has grown past `pages`.
 */
const { path, pages, intervalMs } = workerData as { path: string; pages: number; intervalMs: number };
const db = new Database(path);
db.pragma('busy_timeout = 1000');
db.pragma('synchronous = FULL');

const timer = setInterval(() => {
  try {
    const [row] = db.pragma('wal_checkpoint(PASSIVE)') as Array<{ busy: number; log: number; checkpointed: number }>;
    // A log far past the target means readers kept it from being reset: truncate when idle.
    if (row && row.log > pages * 8 && row.checkpointed === row.log) db.pragma('wal_checkpoint(TRUNCATE)');
  } catch {
    // Busy or closing: the next tick tries again; the writer never depends on this.
  }
}, intervalMs);

parentPort!.on('message', () => {
  clearInterval(timer);
  db.close();
  parentPort!.postMessage('closed');
});
