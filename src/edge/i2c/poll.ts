import { setTimeout as sleep } from 'node:timers/promises';

/** Re-checks `done` every `intervalMs` until it holds (true) or `timeoutMs` has passed (false). */
export async function pollUntil(done: () => Promise<boolean>, opts: { timeoutMs: number; intervalMs?: number }): Promise<boolean> {
  const deadline = performance.now() + opts.timeoutMs;
  for (;;) {
    if (await done()) return true;
    if (performance.now() >= deadline) return false;
    await sleep(opts.intervalMs ?? 1);
  }
}

export { sleep };
