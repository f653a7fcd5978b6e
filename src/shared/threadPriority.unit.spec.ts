import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { BACKGROUND_NICE } from './threadPriority.js';
import { workerUrl } from './workerUrl.js';

/** A thread's nice value, field 19 of its /proc stat line (after the parenthesised name). */
const niceOf = (statPath: string) => Number(readFileSync(statPath, 'utf8').split(') ')[1]!.split(' ')[16]);

describe.runIf(process.platform === 'linux')('runAsBackgroundThread', () => {
  it("lowers the calling thread's priority and leaves the rest of the process alone", async () => {
    const before = niceOf('/proc/thread-self/stat');
    const url = workerUrl(import.meta.url, 'threadPriority').href;
    // The worker loads the compiled module as the relay and projection threads do, then reports its own nice value.
    const source = `
      const { parentPort } = require('node:worker_threads');
      const { readFileSync } = require('node:fs');
      import(${JSON.stringify(url)}).then(({ runAsBackgroundThread }) => {
        const applied = runAsBackgroundThread();
        const nice = Number(readFileSync('/proc/thread-self/stat', 'utf8').split(') ')[1].split(' ')[16]);
        parentPort.postMessage({ applied, nice });
      });`;
    const worker = new Worker(source, { eval: true });
    const got = await new Promise<{ applied: boolean; nice: number }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    expect(got).toEqual({ applied: true, nice: Math.min(19, before + BACKGROUND_NICE) });
    expect(niceOf('/proc/thread-self/stat')).toBe(before);
  });
});
