import { describe, expect, it } from 'vitest';
import { NumberedQueue } from './numberedQueue.js';

describe('NumberedQueue', () => {
  it('numbers entries in order and gives each back once, in any order', () => {
    const q = new NumberedQueue<string>();
    expect([q.add('a'), q.add('b'), q.add('c')]).toEqual([0, 1, 2]);
    expect(q.take(1)).toBe('b');
    expect(q.take(1)).toBeUndefined();
    expect(q.size).toBe(2);
    expect(q.take(0)).toBe('a');
    expect(q.add('d')).toBe(3);
    expect([...q]).toEqual([
      [2, 'c'],
      [3, 'd'],
    ]);
    expect(q.take(3)).toBe('d');
    expect(q.take(2)).toBe('c');
    expect(q.size).toBe(0);
    expect(q.add('e')).toBe(4);
  });

  it('ignores numbers it never gave or already trimmed', () => {
    const q = new NumberedQueue<number>();
    q.add(10);
    q.add(11);
    expect(q.take(0)).toBe(10);
    for (const n of [-1, 0, 2, 1.5, Number.NaN]) expect(q.take(n)).toBeUndefined();
    expect(q.take(1)).toBe(11);
  });

  it('allows taking entries while iterating, and drains what is left oldest first', () => {
    const q = new NumberedQueue<string>();
    for (const v of ['a', 'b', 'c', 'd']) q.add(v);
    for (const [n, v] of q) if (v !== 'c') q.take(n);
    expect([...q]).toEqual([[2, 'c']]);
    q.add('e');
    expect(q.drain()).toEqual(['c', 'e']);
    expect(q.size).toBe(0);
    expect(q.add('f')).toBe(5);
  });
});
