/**
 * A position that only moves forward, and promises that resolve once it has reached a value:
 * how the relay, the projections and the process managers let callers wait for them.
 */
export interface Progress {
  readonly position: number;
  advance(position: number): void;
  waitFor(position: number, timeoutMs?: number): Promise<void>;
}

export function createProgress(what: string, start = 0): Progress {
  let position = start;
  const waiters = new Set<{ at: number; resolve: () => void }>();
  return {
    get position() {
      return position;
    },
    advance(p) {
      position = p;
      for (const w of waiters) {
        if (position >= w.at) {
          waiters.delete(w);
          w.resolve();
        }
      }
    },
    waitFor(at, timeoutMs = 30_000) {
      if (position >= at) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const w = { at, resolve };
        waiters.add(w);
        setTimeout(() => {
          if (waiters.delete(w)) reject(new Error(`${what} did not reach position ${at} within ${timeoutMs} ms (at ${position})`));
        }, timeoutMs).unref();
      });
    },
  };
}
