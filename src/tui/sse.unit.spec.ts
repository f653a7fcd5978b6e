import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readSse, type SseMessage } from './sse.js';

const TEXT = ': edgeplane stream\n\nid: 7\nevent: change\ndata: {"seq":1}\n\n: keep-alive\n\nid: 8\r\nevent: event\r\ndata: line one\r\ndata: line two\r\n\r\ndata:no space\n\n';
const EXPECTED: SseMessage[] = [
  { event: 'change', id: '7', data: '{"seq":1}' },
  { event: 'event', id: '8', data: 'line one\nline two' },
  { event: 'message', id: undefined, data: 'no space' },
];

async function parse(chunks: Uint8Array[]): Promise<SseMessage[]> {
  const out: SseMessage[] = [];
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      chunks.forEach((x) => c.enqueue(x));
      c.close();
    },
  });
  await readSse(body, (m) => out.push(m));
  return out;
}

describe('readSse', () => {
  it('reads events, ids, multi-line data and CRLF, and drops comments', async () => {
    expect(await parse([new TextEncoder().encode(TEXT)])).toEqual(EXPECTED);
  });

  it('gives the same messages however the bytes are split (even inside a multi-byte character)', async () => {
    const bytes = new TextEncoder().encode(`${TEXT}data: 21.5 °C\n\n`);
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 12 }), async (cuts) => {
        const at = [0, ...cuts.sort((a, b) => a - b), bytes.length];
        const chunks = at.slice(1).map((end, i) => bytes.slice(at[i], end));
        expect(await parse(chunks)).toEqual([...EXPECTED, { event: 'message', id: undefined, data: '21.5 °C' }]);
      }),
      { numRuns: 100 },
    );
  });
});
