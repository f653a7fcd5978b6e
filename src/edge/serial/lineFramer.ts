/**
 * Splits a byte stream into text lines whatever the chunk boundaries: a line may arrive in many
 * chunks, a chunk may hold many lines. Splitting happens on bytes (0x0A never occurs inside a
 * multi-byte UTF-8 character), so a character cut between chunks decodes whole.
 */
export interface LineFramer {
  /** Feeds one chunk; returns the lines it completed (without `\n` or a trailing `\r`). */
  push(chunk: Uint8Array): string[];
  /** Lines thrown away because they grew past `maxLineBytes` without a newline. */
  readonly overflows: number;
}

const NEWLINE = 0x0a;
const CR = 0x0d;

export function createLineFramer(opts: { maxLineBytes?: number } = {}): LineFramer {
  const maxLineBytes = opts.maxLineBytes ?? 64 * 1024;
  const decoder = new TextDecoder('utf-8');
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  // After an overflow, everything up to the next newline belongs to the dropped line.
  let skipping = false;
  let overflows = 0;

  function finishLine(tail: Uint8Array): string | undefined {
    const parts = pending;
    pending = [];
    pendingBytes = 0;
    if (skipping) {
      skipping = false;
      return undefined;
    }
    const bytes = parts.length === 0 ? tail : concat([...parts, tail]);
    const end = bytes.length > 0 && bytes[bytes.length - 1] === CR ? bytes.length - 1 : bytes.length;
    return decoder.decode(bytes.subarray(0, end));
  }

  return {
    get overflows() {
      return overflows;
    },
    push(chunk) {
      const lines: string[] = [];
      let start = 0;
      for (let nl = chunk.indexOf(NEWLINE); nl !== -1; nl = chunk.indexOf(NEWLINE, start)) {
        const line = finishLine(chunk.subarray(start, nl));
        if (line !== undefined) lines.push(line);
        start = nl + 1;
      }
      if (start < chunk.length && !skipping) {
        pending.push(chunk.slice(start));
        pendingBytes += chunk.length - start;
        if (pendingBytes > maxLineBytes) {
          pending = [];
          pendingBytes = 0;
          skipping = true;
          overflows += 1;
        }
      }
      return lines;
    },
  };
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
