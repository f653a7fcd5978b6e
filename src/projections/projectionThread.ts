import { Worker } from 'node:worker_threads';
import type { Logger } from '../shared/logger.js';
import { createProgress } from '../shared/progress.js';
import { workerUrl } from '../shared/workerUrl.js';
import { openReadModelDb, type ProjectionRunner } from './projectionRunner.js';
import type { ProjectionWorkerData } from './projectionWorker.js';

/**
 * The built-in projections folded on a worker thread (so reading `$all` and writing read models
 * never competes with the actor host's event loop); this thread keeps a connection of its own for
 * queries, which sees every committed batch (WAL).
 */
export async function startProjectionThread(data: ProjectionWorkerData, logger: Logger): Promise<ProjectionRunner> {
  const worker = new Worker(workerUrl(import.meta.url, 'projectionWorker'), { workerData: data });
  const db = openReadModelDb(data.readModels);
  let positions: Record<string, number> = {};
  const progress = createProgress('projections');
  const done = new Map<number, () => void>();
  let seq = 0;
  worker.on('message', (m: { positions: Record<string, number>; done?: number }) => {
    positions = m.positions;
    progress.advance(Math.min(...Object.values(positions)));
    if (m.done !== undefined) done.get(m.done)?.();
  });
  worker.on('error', (err) => logger.error({ err }, 'projection thread failed'));
  // Its first report comes once every projection's tables exist: queries work from then on.
  await new Promise<void>((resolve, reject) => {
    worker.once('message', () => resolve());
    worker.once('error', reject);
  });
  const ask = (message: object) =>
    new Promise<void>((resolve) => {
      const n = seq++;
      done.set(n, resolve);
      worker.postMessage({ ...message, seq: n });
    });
  return {
    db,
    position: (name) => positions[name] ?? 0,
    waitFor: (at, timeoutMs) => progress.waitFor(at, timeoutMs),
    rebuild: (name) => ask({ rebuild: name ?? null }),
    async stop() {
      await Promise.race([ask({ stop: true }), new Promise((r) => setTimeout(r, 5000))]);
      await worker.terminate();
      db.close();
    },
  };
}
