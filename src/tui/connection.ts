import { ApiRefusal, type ApiClient } from './client.js';
import type { SseMessage } from './sse.js';
import type { Change, SystemModel } from './systemModel.js';

/** The reactor seed's reconnect backoff: 5 ms → … → 1 s, then every second. */
export const BACKOFF_MS = [5, 10, 25, 50, 100, 250, 500, 1000] as const;

export type LinkState =
  | { state: 'connecting' }
  | { state: 'live' }
  | { state: 'offline'; reason: string; attempt: number; retryInMs: number; since: number };

export interface StoredEvent {
  type: string;
  data: any;
  metadata: Record<string, any>;
  stream: string;
  revision: number;
  position: number;
}

export interface ConnectionHandlers {
  onState(s: LinkState): void;
  /** The model moved (`reset`: it was loaded again). */
  onModel(reset: boolean): void;
  onEvent(e: StoredEvent): void;
}

/**
 * Keeps `model` live from the API: opens the stream, then loads the view (deltas that arrive
 * meanwhile wait), fills a gap from `/v1/system/changes`, and on any failure shows the reason and
 * retries with the seed's backoff, forever, keeping the last known view. The server writes a
 * keep-alive every 15 s, so `silenceMs` without a byte means the link is dead.
 */
export function keepConnected(client: ApiClient, model: SystemModel, on: ConnectionHandlers, opts: { silenceMs?: number } = {}): { stop(): void } {
  const silenceMs = opts.silenceMs ?? 40_000;
  let stopped = false;
  let abort: AbortController | undefined;
  let pending: Change[] = [];
  let viewReady = false;
  let draining = false;
  let offlineSince = 0;

  const drain = async () => {
    if (draining || !viewReady) return;
    draining = true;
    try {
      while (pending.length) {
        const batch = pending;
        pending = [];
        const first = batch.find((c) => c.seq > model.seq);
        if (first && first.seq > model.seq + 1) {
          const filled = await client.get<{ changes: Change[] }>(`/v1/system/changes?after=${model.seq}&limit=1000`);
          model.apply(filled.changes.filter((c) => c.seq < first.seq));
        }
        if (model.apply(batch).length) on.onModel(false);
      }
    } finally {
      draining = false;
    }
  };

  const onMessage = (m: SseMessage) => {
    if (m.event === 'change') {
      pending.push(JSON.parse(m.data) as Change);
      drain().catch(() => abort?.abort());
    } else if (m.event === 'event') on.onEvent(JSON.parse(m.data) as StoredEvent);
  };

  const run = async () => {
    for (let attempt = 0; !stopped; ) {
      const controller = new AbortController();
      abort = controller;
      let lastByte = Date.now();
      const watchdog = setInterval(() => Date.now() - lastByte > silenceMs && controller.abort(new Error(`no word from the control plane for ${silenceMs / 1000} s`)), 1000);
      let reason = 'the stream ended';
      try {
        if (attempt === 0) on.onState({ state: 'connecting' });
        pending = [];
        viewReady = false;
        await client.stream({
          signal: controller.signal,
          onBytes: () => (lastByte = Date.now()),
          onOpen: () => {
            client.get('/v1/system', controller.signal).then(
              async (view) => {
                model.load(view);
                viewReady = true;
                attempt = 0;
                on.onModel(true);
                on.onState({ state: 'live' });
                await drain();
              },
              (err: unknown) => controller.abort(err),
            );
          },
          onMessage,
        });
      } catch (err) {
        const cause = controller.signal.aborted ? controller.signal.reason : err;
        reason = describe(cause);
      } finally {
        clearInterval(watchdog);
      }
      if (stopped) return;
      if (attempt === 0) offlineSince = Date.now();
      const retryInMs = BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length - 1)]!;
      attempt++;
      on.onState({ state: 'offline', reason, attempt, retryInMs, since: offlineSince });
      await new Promise((r) => setTimeout(r, retryInMs));
    }
  };
  run();
  return {
    stop() {
      stopped = true;
      abort?.abort();
    },
  };
}

/** A network error as a person reads it: fetch hides the useful part in `cause`. */
export function describe(err: unknown): string {
  if (err instanceof ApiRefusal) return `${err.code}: ${err.message}`;
  const e = err as { message?: string; cause?: { code?: string; message?: string } } | undefined;
  if (e?.cause?.code) return e.cause.code;
  return e?.cause?.message ?? e?.message ?? String(err);
}
