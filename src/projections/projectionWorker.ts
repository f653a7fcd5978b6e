import { parentPort, workerData } from 'node:worker_threads';
import { openEventStore } from '../eventstore/open.js';
import { createLogger } from '../shared/logger.js';
import { runAsBackgroundThread } from '../shared/threadPriority.js';
import { builtinProjections } from './index.js';
import { openReadModelDb, startProjections } from './projectionRunner.js';

/** The built-in projections on their own thread: own store connection, own read-model writer. */
export interface ProjectionWorkerData {
  store: string;
  readModels: string;
  logLevel: string;
}

const data = workerData as ProjectionWorkerData;
runAsBackgroundThread();
const logger = createLogger({ level: data.logLevel }).child({ component: 'projections' });
const store = openEventStore(data.store, logger);
const db = openReadModelDb(data.readModels);
const runner = startProjections({ store, db, projections: builtinProjections, logger });

const positions = () => Object.fromEntries(builtinProjections.map((p) => [p.name, runner.position(p.name)]));
// Tables exist now (startProjections ran every projection's init): tell the parent at once.
parentPort!.postMessage({ positions: positions() });
let reported = '';
const report = setInterval(() => {
  const now = JSON.stringify(positions());
  if (now !== reported) {
    reported = now;
    parentPort!.postMessage({ positions: positions() });
  }
}, 2);

parentPort!.on('message', (m: { rebuild?: string | null; stop?: boolean; seq: number }) => {
  void (async () => {
    if (m.rebuild !== undefined) {
      await runner.rebuild(m.rebuild ?? undefined);
      parentPort!.postMessage({ done: m.seq, positions: positions() });
    } else if (m.stop) {
      clearInterval(report);
      await runner.stop();
      db.close();
      await store.close();
      parentPort!.postMessage({ done: m.seq, positions: positions() });
    }
  })();
});
