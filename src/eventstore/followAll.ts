import type { RecordedEvent } from './eventStore.js';

const PAGE = 1000;

/**
 * Catch up, then go live, for a store that can read `$all` pages and wake waiters after an
 * append. `version()` changes on every commit the store sees; comparing it before the read and
 * after handing the page out means a commit that lands while the consumer is busy is never
 * slept through.
 */
export async function* followAll(src: {
  after: number;
  signal: AbortSignal | undefined;
  isClosed: () => boolean;
  version: () => number;
  /** Up to `limit` events after `after`, and the position read through (past non-matching events). */
  read: (after: number, limit: number) => { events: RecordedEvent[]; through: number };
  /** Resolves at the next commit, or when `wakeAll` is called. */
  waitForAppend: () => Promise<void>;
  /** Wakes every waiter without a commit (they read, find nothing new and wait again). */
  wakeAll: () => void;
  onCheckpoint?: (position: number) => void;
  batchWindowMs?: number;
}): AsyncGenerator<RecordedEvent[]> {
  // One abort listener for the whole subscription, not one per wait: adding and removing the only
  // listener churns the signal's listener map (why that costs: see NumberedQueue).
  const { signal } = src;
  signal?.addEventListener('abort', src.wakeAll, { once: true });
  try {
    const windowMs = src.batchWindowMs ?? 0;
    let cursor = src.after;
    let readAt = 0;
    while (!signal?.aborted && !src.isClosed()) {
      const seen = src.version();
      readAt = performance.now();
      const { events, through } = src.read(cursor, PAGE);
      if (events.length > 0) yield events;
      // Only now (the batch is processed): everything up to `through` has been handed out.
      if (through > cursor) {
        cursor = through;
        src.onCheckpoint?.(through);
      }
      if (events.length < PAGE && src.version() === seen && !signal?.aborted) {
        await src.waitForAppend();
        const early = readAt + windowMs - performance.now();
        if (early > 0 && !signal?.aborted && !src.isClosed()) await new Promise((r) => setTimeout(r, early));
      }
    }
  } finally {
    signal?.removeEventListener('abort', src.wakeAll);
  }
}
