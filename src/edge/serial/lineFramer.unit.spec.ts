import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createLineFramer } from './lineFramer.js';

describe('line framer', () => {
  it('gives the same lines however the bytes are cut into chunks (multi-byte UTF-8 included)', () => {
    const line = fc.string({ unit: 'grapheme', maxLength: 30 }).map((s) => s.replace(/[\r\n]/g, ''));
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 10 }), (lines, cuts) => {
        const bytes = Buffer.from(lines.map((l) => `${l}\n`).join(''), 'utf8');
        const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        const framer = createLineFramer();
        const out: string[] = [];
        let from = 0;
        for (const p of [...points, bytes.length]) {
          out.push(...framer.push(bytes.subarray(from, p)));
          from = p;
        }
        expect(out).toEqual(lines);
      }),
    );
  });

  it('strips a CR before the newline and keeps a partial line for later', () => {
    const framer = createLineFramer();
    expect(framer.push(Buffer.from('{"a":1}\r\n{"b"'))).toEqual(['{"a":1}']);
    expect(framer.push(Buffer.from(':2}\n'))).toEqual(['{"b":2}']);
  });

  it('drops a line that grows past the limit, counts it, and carries on', () => {
    const framer = createLineFramer({ maxLineBytes: 8 });
    expect(framer.push(Buffer.from('0123456'))).toEqual([]);
    expect(framer.push(Buffer.from('789abc'))).toEqual([]);
    expect(framer.push(Buffer.from('def\nok\n'))).toEqual(['ok']);
    expect(framer.overflows).toBe(1);
  });
});
