import { describe, expect, it } from 'vitest';
import { deriveEventId } from './ids.js';

describe('deriveEventId', () => {
  // Pinned: events already stored carry these ids, and a redelivered command is recognised only
  // if deciding it again derives the same ones.
  it('gives the same UUIDv5 it always gave', () => {
    expect(deriveEventId('meter', 'm1', 'cmd-1', 0)).toBe('f0ed15ef-3193-5863-82e8-c18e4904766d');
    expect(deriveEventId('sensor', 'motion-1', '9f0c1c5e-8e1a-4c3b-9a7e-2f6d1b0c4e11', 3)).toBe('8fe25fef-a7fd-55ef-a6c5-e2a5eecb20b7');
    expect(deriveEventId('käse', 'ü', '✓', 1)).toBe('bf3249fc-5472-5ddb-9899-45c74001637c');
  });

  it('handles a command id longer than its scratch buffer the same way', () => {
    const long = 'c'.repeat(5000);
    const a = deriveEventId('meter', 'm1', long, 0);
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(deriveEventId('meter', 'm1', long, 0)).toBe(a);
    expect(deriveEventId('meter', 'm1', long, 1)).not.toBe(a);
  });
});
