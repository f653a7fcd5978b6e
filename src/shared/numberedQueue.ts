/**
 * Entries numbered 0, 1, 2, … in the order they were added, taken out in any order, oldest first
 * when iterated: what waits for answers that usually come back in order (publish acknowledgements,
 * replies to numbered inboxes).
 *
 * An array with its taken entries trimmed from the front, not a Map: a Map that empties and
 * refills on every message makes V8 allocate a new hash table each time, each linked from the one
 * it replaces, and such a chain anchored in the old generation is copied by every scavenge until
 * the next full collection (measured on the control plane at 1,000 commands/s).
 */
export class NumberedQueue<T> {
  private entries: Array<T | undefined> = [];
  /** The number of entries[0]. */
  private first = 0;
  private count = 0;

  /** Adds an entry and returns its number. */
  add(value: T): number {
    this.entries.push(value);
    this.count++;
    return this.first + this.entries.length - 1;
  }

  /** Removes and returns entry `n`, or undefined if it is not (or no longer) here. */
  take(n: number): T | undefined {
    const i = n - this.first;
    if (!Number.isInteger(i) || i < 0 || i >= this.entries.length) return undefined;
    const value = this.entries[i];
    if (value === undefined) return undefined;
    this.entries[i] = undefined;
    this.count--;
    while (this.entries.length > 0 && this.entries[0] === undefined) {
      this.entries.shift();
      this.first++;
    }
    return value;
  }

  /** Entries still here, oldest first (taking one while iterating is allowed). */
  *[Symbol.iterator](): IterableIterator<[number, T]> {
    const first = this.first;
    const snapshot = this.entries.slice();
    for (let i = 0; i < snapshot.length; i++) {
      const v = snapshot[i];
      if (v !== undefined) yield [first + i, v];
    }
  }

  get size(): number {
    return this.count;
  }

  /** Removes every entry and returns them, oldest first. */
  drain(): T[] {
    const all = this.entries.filter((v): v is T => v !== undefined);
    this.first += this.entries.length;
    this.entries = [];
    this.count = 0;
    return all;
  }
}
