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
    // The worker loads the compiled module as the relay and projection threads do, says which
    // thread it is, and stays alive (listening) until terminated, so its /proc entry can be read.
    const source = `
      const { parentPort } = require('node:worker_threads');
      const { readlinkSync } = require('node:fs');
      import(${JSON.stringify(url)}).then(({ runAsBackgroundThread }) => {
        parentPort.on('message', () => undefined);
        parentPort.postMessage({ applied: runAsBackgroundThread(), thread: readlinkSync('/proc/thread-self') });
      });`;
    const worker = new Worker(source, { eval: true });
    const { applied, thread } = await new Promise<{ applied: boolean; thread: string }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    const got = { applied, nice: niceOf(`/proc/${thread}/stat`) };
    await worker.terminate();
    expect(got).toEqual({ applied: true, nice: Math.min(19, before + BACKGROUND_NICE) });
    expect(niceOf('/proc/thread-self/stat')).toBe(before);
  });
});
