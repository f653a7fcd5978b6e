import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { idKey } from './sqliteSchema.js';

describe('idKey (the event id lookup key, part of the file format)', () => {
  it('is stable: these values are on disk in every store written since format 2', () => {
    expect([idKey('a'), idKey('6f1c2b1e-9d3a-4c58-a1f0-e3b7c2d4a5e6'), idKey('rd-12-3')]).toEqual(GOLDEN);
  });

  it('fits in 47 bits, so SQLite stores it in 6 bytes', () => {
    for (let i = 0; i < 10_000; i++) {
      const k = idKey(randomUUID());
      expect(Number.isSafeInteger(k) && k >= 0 && k < 2 ** 47).toBe(true);
    }
  });

  it('spreads ids that differ only at the end, or only in a timestamp prefix, without collisions', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 50_000; i++) seen.add(idKey(`rd-${i}`));
    // UUIDv7-style ids made in the same millisecond share their first 12 hex digits.
    for (let i = 0; i < 50_000; i++) seen.add(idKey(`0193a1b2-c3d4-7${(i % 4096).toString(16).padStart(3, '0')}-8000-${i.toString(16).padStart(12, '0')}`));
    expect(seen.size).toBe(100_000);
  });
});

const GOLDEN = [134372791464371, 103506428855178, 53475116980171];
