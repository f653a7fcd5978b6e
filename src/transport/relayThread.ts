import { Worker } from 'node:worker_threads';
import type { Logger } from '../shared/logger.js';
import { workerUrl } from '../shared/workerUrl.js';
import type { Relay } from './relay.js';
import type { RelayWorkerData } from './relayWorker.js';

/**
 * Runs the relay in a worker thread so publishing a page of events never blocks the actor
 * host's event loop (and the relay gets the other core). Same Relay interface as startRelay.
 */
export function startRelayThread(data: RelayWorkerData, logger: Logger): Relay {
  const worker = new Worker(workerUrl(import.meta.url, 'relayWorker'), { workerData: data });
  let position = 0;
  let published = 0;
  const waiters = new Set<{ at: number; resolve: () => void }>();
  let stopped: (() => void) | undefined;
  worker.on('message', (m: { position: number; published: number; stopped?: boolean }) => {
    position = m.position;
    published = m.published;
    for (const w of waiters) {
      if (position >= w.at) {
        waiters.delete(w);
        w.resolve();
      }
    }
    if (m.stopped) stopped?.();
  });
  worker.on('error', (err) => logger.error({ err }, 'relay thread failed'));
  const exited = new Promise<void>((r) => worker.once('exit', () => r()));
  return {
    get position() {
      return position;
    },
    get published() {
      return published;
    },
    waitFor(at, timeoutMs = 30_000) {
      if (position >= at) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const w = { at, resolve };
        waiters.add(w);
        setTimeout(() => {
          if (waiters.delete(w)) reject(new Error(`relay did not reach position ${at} within ${timeoutMs} ms (at ${position})`));
        }, timeoutMs).unref();
      });
    },
    async stop() {
      const done = new Promise<void>((r) => (stopped = r));
      worker.postMessage({ stop: true });
      await Promise.race([done, exited]);
      await worker.terminate();
    },
  };
}
