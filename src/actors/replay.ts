import type { EventStore, RecordedEvent } from '../eventstore/eventStore.js';
import { streamName } from '../shared/ids.js';
import type { AnyDecider } from './decider.js';

export interface ReplayPoint {
  /** Fold up to and including this revision … */
  toRevision?: number;
  /** … or every event recorded at or before this instant. */
  at?: Date;
}

export interface ReplayResult {
  stream: string;
  /** Revision of the last event folded (-1: none). */
  revision: number;
  state: unknown;
  /** The events folded, in order. */
  timeline: RecordedEvent[];
  /** The event that produced `state` (the last one folded). */
  lastEvent: RecordedEvent | undefined;
  /** Events in the stream after the replay point. */
  remaining: number;
}

/**
 * Time travel: an actor's state folded up to a revision or an instant, the same fold the actor
 * host uses. The CLI's `edgeplane replay` and the API's state route both call this.
 */
export async function replayActor(store: EventStore, decider: AnyDecider, id: string, point: ReplayPoint = {}): Promise<ReplayResult> {
  const stream = streamName(decider.kind, id);
  const events = await store.readStream(stream);
  const at = point.at?.getTime();
  const timeline: RecordedEvent[] = [];
  let state = decider.initialState();
  for (const e of events) {
    if (point.toRevision !== undefined && e.revision > point.toRevision) break;
    if (at !== undefined && Date.parse(String(e.metadata.timestamp)) > at) break;
    state = decider.evolve(state, e);
    timeline.push(e);
  }
  return {
    stream,
    revision: timeline.at(-1)?.revision ?? -1,
    state,
    timeline,
    lastEvent: timeline.at(-1),
    remaining: events.length - timeline.length,
  };
}
