import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { col, fit, frame, seg, sparkline } from './screen.js';

const visible = (s: string) => [...s.replace(/\x1b\[[0-9;]*m/g, '')].length;

describe('screen', () => {
  it('fits styled segments to exactly the width, cutting or padding, styles closed', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.string({ maxLength: 20 }).filter((s) => !s.includes('\x1b')), fc.constantFrom(undefined, '1', '32')), { maxLength: 6 }), fc.integer({ min: 1, max: 60 }), fc.constantFrom(undefined, '7'), (parts, width, base) => {
        const line = fit(parts.map(([text, style]) => seg(text, style)), width, base);
        expect(visible(line)).toBe(width);
        // No style leaks past the line: the last escape is a reset.
        const escapes = line.match(/\x1b\[[0-9;]*m/g) ?? [];
        if (escapes.length) expect(escapes[escapes.length - 1]).toBe('\x1b[0m');
      }),
    );
    expect(fit([seg('ONLINE', '32')], 8)).toBe('\x1b[32mONLINE\x1b[0m  ');
  });

  it('cuts a column with an ellipsis, never wider than asked', () => {
    expect(col('temperature', 6)).toBe('tempe…');
    expect(col('ph', 4)).toBe('ph  ');
    expect(col('°C ✓', 4)).toBe('°C ✓');
  });

  it('draws a sparkline from low to high, flat when all are equal', () => {
    expect(sparkline([0, 7])).toBe('▁█');
    expect(sparkline([1, 2, 3, 4, 5, 6, 7, 8])).toBe('▁▂▃▄▅▆▇█');
    expect(sparkline([5, 5])).toBe('▄▄');
    expect(sparkline([])).toBe('');
  });

  it('a frame starts at the top left, clears each line\'s end and what is below', () => {
    expect(frame(['a', 'b'])).toBe('\x1b[Ha\x1b[K\r\nb\x1b[K\x1b[J');
  });
});
