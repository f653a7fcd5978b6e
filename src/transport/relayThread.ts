import { Worker } from 'node:worker_threads';
import type { Logger } from '../shared/logger.js';
import { createProgress } from '../shared/progress.js';
import { workerUrl } from '../shared/workerUrl.js';
import type { Relay } from './relay.js';
import type { RelayWorkerData } from './relayWorker.js';

/**
 * Runs the relay in a worker thread so publishing a page of events never blocks the actor
 * host's event loop (and the relay gets the other core). Same Relay interface as startRelay.
 */
export function startRelayThread(data: RelayWorkerData, logger: Logger): Relay {
  const worker = new Worker(workerUrl(import.meta.url, 'relayWorker'), { workerData: data });
  const progress = createProgress('relay');
  let published = 0;
  let stopped: (() => void) | undefined;
  worker.on('message', (m: { position: number; published: number; stopped?: boolean }) => {
    published = m.published;
    progress.advance(m.position);
    if (m.stopped) stopped?.();
  });
  worker.on('error', (err) => logger.error({ err }, 'relay thread failed'));
  const exited = new Promise<void>((r) => worker.once('exit', () => r()));
  return {
    get position() {
      return progress.position;
    },
    get published() {
      return published;
    },
    waitFor: (at, timeoutMs) => progress.waitFor(at, timeoutMs),
    async stop() {
      const done = new Promise<void>((r) => (stopped = r));
      worker.postMessage({ stop: true });
      await Promise.race([done, exited]);
      await worker.terminate();
    },
  };
}
