/**
 * The reactor seed's reconnect backoff: 5 ms, 10, 25, 50, 100, 250, 500 ms, then 1 s forever,
 * back to the start after a successful connect.
 */
export const RECONNECT_BACKOFF_MS: readonly number[] = [5, 10, 25, 50, 100, 250, 500, 1000];

export interface Backoff {
  /** The delay before the next attempt (each call is one more attempt). */
  next(): number;
  /** A connect succeeded: the next failure starts from the first step again. */
  reset(): void;
  /** Attempts since the last reset. */
  readonly attempts: number;
}

export function createBackoff(steps: readonly number[] = RECONNECT_BACKOFF_MS): Backoff {
  if (steps.length === 0 || steps.some((s) => !Number.isFinite(s) || s < 0)) throw new RangeError('backoff steps must be non-negative numbers');
  let attempts = 0;
  return {
    next() {
      return steps[Math.min(attempts++, steps.length - 1)]!;
    },
    reset() {
      attempts = 0;
    },
    get attempts() {
      return attempts;
    },
  };
}

/**
 * Adapts a Backoff to nats.js's `reconnectDelayHandler`. nats 2.29's dial loop calls the handler
 * on every pass, including passes that only sleep until the wait is over, and dials when
 * `lastDial + wait ≤ now`. A handler that advanced on every call would race through the steps, so
 * this one works out itself when a dial is due: it advances once per dial, and otherwise returns
 * the wait that makes the loop sleep exactly until the next dial is due. (No jitter: a board is
 * one client, not a herd.)
 */
export function reconnectDelayHandler(backoff: Backoff, now: () => number = Date.now): { handler: () => number; connected(): void } {
  let lastDial: number | undefined;
  let due: number | undefined;
  return {
    handler() {
      const t = now();
      if (lastDial === undefined) {
        // The first dial of all: the loop dials it whatever we return.
        lastDial = t;
        return 0;
      }
      due ??= t + backoff.next();
      if (t >= due) {
        // Returning 0 always lets the loop dial now.
        lastDial = t;
        due = undefined;
        return 0;
      }
      return due - lastDial;
    },
    connected() {
      backoff.reset();
      due = undefined;
    },
  };
}
