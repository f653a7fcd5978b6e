// One live connection per tab: the SSE stream (`/v1/stream`) moves the system view forward and
// hands every stored event to whichever page listens. On every (re)connect the view is loaded
// again (at the same time as the stream opens: first paint waits for one round trip, not two),
// so nothing missed while away is shown stale.

import { ApiError, get, readStream } from './api.js';

// The reactor seed's reconnect backoff: 5 ms → … → 1 s, then every second.
const BACKOFF_MS = [5, 10, 25, 50, 100, 250, 500, 1000];
// The stream picks where its deltas start on its first poll of the feed (every 100 ms); a
// catch-up read after that covers anything between the view and that start.
const CATCH_UP_AFTER_MS = 300;

/** @typedef {{ id: string, type: string, data: any, metadata: any, stream: string, revision: number, position: number }} StoredEvent */

/** @param {ReturnType<typeof import('./model.js').createModel>} model */
export function createLive(model) {
  /** @type {Set<(e: StoredEvent) => void>} */
  const eventListeners = new Set();
  /** @type {Set<(state: 'connecting' | 'live' | 'offline', detail?: string) => void>} */
  const statusListeners = new Set();
  /** @type {Set<() => void>} */
  const reconnectListeners = new Set();
  /** @type {AbortController | undefined} */
  let abort;
  let stopped = true;
  // A stop and a start in quick succession must not leave two loops running.
  let generation = 0;
  let state = /** @type {'connecting' | 'live' | 'offline'} */ ('connecting');
  let connections = 0;

  /** @param {'connecting' | 'live' | 'offline'} s @param {string} [detail] */
  const setState = (s, detail) => {
    state = s;
    statusListeners.forEach((fn) => fn(s, detail));
  };

  // Deltas are applied in order, one batch at a time. Those arriving before the view has loaded
  // wait for it; a gap (a delta whose predecessors the view has not seen) is read from
  // `/v1/system/changes` first. For a non-admin, hidden plugs also leave gaps: reading them
  // costs one request and finds nothing.
  /** @type {import('./model.js').Change[]} */
  let pending = [];
  let draining = false;
  let viewReady = false;
  let catchUp = false;
  /** Everything after the model's seq and before `upTo` (all of it when undefined). @param {number} [upTo] */
  const fill = async (upTo) => {
    for (;;) {
      const { changes } = await get(`/v1/system/changes?after=${model.seq}&limit=1000`);
      const wanted = changes.filter((/** @type {any} */ c) => upTo === undefined || c.seq < upTo);
      model.apply(wanted);
      if (changes.length < 1000 || wanted.length < changes.length) return;
    }
  };
  const drain = async () => {
    if (draining || !viewReady) return;
    draining = true;
    try {
      while (pending.length || catchUp) {
        if (catchUp) {
          catchUp = false;
          await fill();
          continue;
        }
        const batch = pending;
        pending = [];
        const first = batch.find((c) => c.seq > model.seq);
        if (first && first.seq > model.seq + 1) await fill(first.seq);
        model.apply(batch);
      }
    } finally {
      draining = false;
    }
  };

  /** @param {{ event: string, data: string }} m */
  const onMessage = (m) => {
    if (m.event === 'change') {
      pending.push(JSON.parse(m.data));
      drain().catch(() => abort?.abort());
    } else if (m.event === 'event' && eventListeners.size) {
      const e = JSON.parse(m.data);
      eventListeners.forEach((fn) => fn(e));
    }
  };

  /** @param {number} g */
  async function run(g) {
    const current = () => !stopped && g === generation;
    for (let attempt = 0; current(); ) {
      const controller = new AbortController();
      abort = controller;
      pending = [];
      viewReady = false;
      const view = get('/v1/system');
      view.catch(() => controller.abort());
      let opened = false;
      try {
        if (attempt === 0) setState('connecting');
        await readStream('/v1/stream', {
          signal: controller.signal,
          onOpen: () => {
            opened = true;
            view.then(async (v) => {
              if (controller.signal.aborted) return;
              model.load(v);
              viewReady = true;
              attempt = 0;
              setState('live');
              if (connections++ > 0) reconnectListeners.forEach((fn) => fn());
              await drain();
              setTimeout(() => {
                catchUp = true;
                drain().catch(() => controller.abort());
              }, CATCH_UP_AFTER_MS);
            }).catch(() => controller.abort());
          },
          onMessage,
        });
      } catch (err) {
        if (!current()) return;
        if (err instanceof ApiError && err.status === 401) return stop();
        setState('offline', err instanceof Error ? err.message : String(err));
      }
      if (!current()) return;
      if (opened && state === 'live') setState('offline', 'the stream ended');
      await new Promise((r) => setTimeout(r, BACKOFF_MS[Math.min(attempt++, BACKOFF_MS.length - 1)]));
    }
  }

  function stop() {
    stopped = true;
    abort?.abort();
  }

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      run(++generation);
    },
    stop,
    get state() {
      return state;
    },
    /** Every stored event, as it is stored. @param {(e: StoredEvent) => void} fn */
    onEvent(fn) {
      eventListeners.add(fn);
      return () => eventListeners.delete(fn);
    },
    /** @param {(state: 'connecting' | 'live' | 'offline', detail?: string) => void} fn */
    onStatus(fn) {
      statusListeners.add(fn);
      fn(state);
      return () => statusListeners.delete(fn);
    },
    /** After a reconnect: pages reload what they fetched themselves. @param {() => void} fn */
    onReconnect(fn) {
      reconnectListeners.add(fn);
      return () => reconnectListeners.delete(fn);
    },
  };
}
