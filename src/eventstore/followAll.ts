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
  waitForAppend: (signal?: AbortSignal) => Promise<void>;
  onCheckpoint?: (position: number) => void;
}): AsyncGenerator<RecordedEvent[]> {
  let cursor = src.after;
  while (!src.signal?.aborted && !src.isClosed()) {
    const seen = src.version();
    const { events, through } = src.read(cursor, PAGE);
    if (events.length > 0) yield events;
    // Only now (the batch is processed): everything up to `through` has been handed out.
    if (through > cursor) {
      cursor = through;
      src.onCheckpoint?.(through);
    }
    if (events.length < PAGE && src.version() === seen) await src.waitForAppend(src.signal);
  }
}
