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
  read: (after: number, limit: number) => RecordedEvent[];
  waitForAppend: (signal?: AbortSignal) => Promise<void>;
}): AsyncGenerator<RecordedEvent[]> {
  let cursor = src.after;
  while (!src.signal?.aborted && !src.isClosed()) {
    const seen = src.version();
    const page = src.read(cursor, PAGE);
    if (page.length > 0) {
      cursor = page[page.length - 1]!.position;
      yield page;
    }
    if (page.length < PAGE && src.version() === seen) await src.waitForAppend(src.signal);
  }
}
