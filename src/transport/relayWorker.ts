import { parentPort, workerData } from 'node:worker_threads';
import { openEventStore } from '../eventstore/open.js';
import { createLogger } from '../shared/logger.js';
import { runAsBackgroundThread } from '../shared/threadPriority.js';
import { connectNats } from './natsConnection.js';
import { startRelay } from './relay.js';

/** The relay on its own thread: its own store connection, NATS connection and event loop. */
export interface RelayWorkerData {
  store: string;
  nats: { servers: string; user?: string; pass?: string };
  logLevel: string;
  window?: number;
}

const data = workerData as RelayWorkerData;
runAsBackgroundThread();
const logger = createLogger({ level: data.logLevel }).child({ component: 'relay' });
const store = openEventStore(data.store, logger);
const nc = await connectNats({ ...data.nats, name: `edgeplane-relay-${process.pid}`, logger });
const relay = startRelay({ store, nc, logger, window: data.window });

// Report progress at most every 2 ms, so a fast relay does not flood the parent.
let reported = -1;
const report = setInterval(() => {
  if (relay.position !== reported) {
    reported = relay.position;
    parentPort!.postMessage({ position: relay.position, published: relay.published });
  }
}, 2);

parentPort!.on('message', (m: { stop?: boolean }) => {
  if (!m.stop) return;
  void (async () => {
    await relay.stop();
    clearInterval(report);
    parentPort!.postMessage({ position: relay.position, published: relay.published, stopped: true });
    await nc.close();
    await store.close();
  })();
});
