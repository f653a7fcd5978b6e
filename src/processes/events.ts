import type { RecordedEvent } from '../eventstore/eventStore.js';
import { addressOfStream } from '../shared/ids.js';

/** The actor an event belongs to, and its data, for process managers that match on kinds. */
export function actorOf(e: RecordedEvent): { kind: string; id: string } {
  return addressOfStream(e.stream) ?? { kind: '', id: e.stream };
}

export function dataOf<T>(e: RecordedEvent): T {
  return e.data as T;
}

/** When the event says it happened (its data's `at`), else when it was decided. */
export function timeOf(e: RecordedEvent): number {
  const at = (e.data as { at?: unknown } | null)?.at;
  const t = typeof at === 'string' ? Date.parse(at) : Number.NaN;
  return Number.isNaN(t) ? Date.parse(String(e.metadata.timestamp)) : t;
}

/** A command id derived from what caused it, so a repeated reaction appends nothing. */
export function reactionId(prefix: string, ...parts: Array<string | number>): string {
  return `${prefix}:${parts.join(':')}`.replace(/[^A-Za-z0-9_\-:@]/g, '_').slice(0, 128);
}
