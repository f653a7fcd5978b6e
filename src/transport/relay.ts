import type { KV, MsgHdrs, NatsConnection } from 'nats';
import { serializeEvent, type EventStore, type RecordedEvent } from '../eventstore/eventStore.js';
import { addressOfStream } from '../shared/ids.js';
import { createProgress } from '../shared/progress.js';
import type { Logger } from '../shared/logger.js';
import { createJetStreamPublisher } from './jetstreamPublisher.js';
import { HEADER, KV_CHECKPOINTS, STREAM_EVENTS, eventSubject } from './subjects.js';

export interface RelayOptions {
  store: EventStore;
  nc: NatsConnection;
  logger: Logger;
  /** Publishes allowed in flight before the relay waits for acknowledgements. */
  window?: number;
  /** How often the checkpoint is written to the KV bucket. */
  checkpointEveryMs?: number;
  ackTimeoutMs?: number;
  /** Once caught up, read the store at most this often (see SubscribeAllOptions.batchWindowMs). */
  batchWindowMs?: number;
}

export interface Relay {
  /** Position of the last event JetStream has acknowledged, in store order without gaps. */
  readonly position: number;
  readonly published: number;
  /** Resolves once every event up to `position` is acknowledged. */
  waitFor(position: number, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

const encoder = new TextEncoder();
const CHECKPOINT_KEY = 'relay';
const SLAB_BYTES = 256 * 1024;

/**
 * Message bodies written one after another into a shared buffer, each handed out as its own view:
 * no allocation per event. A view must stay unchanged until the client has written it to the
 * socket, so a full slab is never reused: the next body starts a new one.
 */
function createSlab(): { encode(text: string): Uint8Array } {
  let buf = Buffer.allocUnsafe(SLAB_BYTES);
  let used = 0;
  return {
    encode(text) {
      // UTF-8 takes at most 3 bytes per UTF-16 unit.
      if (text.length * 3 > SLAB_BYTES) return encoder.encode(text);
      if (used + text.length * 3 > buf.length) {
        buf = Buffer.allocUnsafe(SLAB_BYTES);
        used = 0;
      }
      const n = buf.write(text, used);
      const view = buf.subarray(used, used + n);
      used += n;
      return view;
    },
  };
}

/**
 * The relay's three headers written straight into the slab as the header block NATS sends
 * (`NATS/1.0`, `Key: value` lines, a blank line). The client's publish only asks headers to
 * `encode()` themselves; its own headers object canonicalises every key, keeps a map and encodes
 * a fresh string per message, about a sixth of the relay's time at 80k events/s. Values are
 * checked as the client checks them: no CR or LF.
 */
export function relayHeaders(slab: { encode(text: string): Uint8Array }) {
  let block = '';
  const headers = {
    encode: () => slab.encode(block),
  } as unknown as MsgHdrs;
  const value = (v: string) => {
    if (v.includes('\r') || v.includes('\n')) throw new Error(`header value ${JSON.stringify(v)}: CR and LF are not allowed`);
    return v;
  };
  return {
    headers,
    set(id: string, position: number, previousId: string | undefined) {
      block = `NATS/1.0\r\n${HEADER.msgId}: ${value(id)}\r\n${HEADER.position}: ${position}\r\n${previousId ? `${HEADER.expectedLastMsgId}: ${value(previousId)}\r\n` : ''}\r\n`;
    },
  };
}

/**
 * Follows `$all` and publishes every event to `ep.evt.<kind>.<id>.<type>`.
 *
 * Nothing is lost and nothing is seen twice:
 * - each message carries `Nats-Msg-Id` = event id, so a re-publish inside the duplicate window is
 *   dropped by JetStream;
 * - each carries `Nats-Expected-Last-Msg-Id` = the previous event's id, so JetStream refuses a
 *   message that would follow a gap (an earlier publish that failed) or another relay's message;
 * - on any failure the relay drains, reads where EP_EVT really ends (the `Ep-Position` of its last
 *   message, or the saved checkpoint if that message aged out) and resumes after it.
 */
export function startRelay(opts: RelayOptions): Relay {
  const { store, nc, logger } = opts;
  const window = opts.window ?? 4096;
  const publisher = createJetStreamPublisher(nc, { timeoutMs: opts.ackTimeoutMs ?? 5000 });
  let published = 0;
  let stopped = false;
  const stopping = new AbortController();
  let kv: KV | undefined;
  let savedCheckpoint = 0;
  const progress = createProgress('relay');
  const advance = (p: number) => progress.advance(p);

  async function resumePoint(): Promise<{ after: number; lastId: string | undefined }> {
    kv ??= await nc.jetstream().views.kv(KV_CHECKPOINTS);
    const saved = await kv.get(CHECKPOINT_KEY);
    const fromKv = saved ? Number(new TextDecoder().decode(saved.value)) : 0;
    const jsm = await nc.jetstreamManager();
    const info = await jsm.streams.info(STREAM_EVENTS);
    if (info.state.last_seq > 0) {
      try {
        const last = await jsm.streams.getMessage(STREAM_EVENTS, { seq: info.state.last_seq });
        const lastPosition = Number(last.header.get(HEADER.position));
        const lastId = last.header.get(HEADER.msgId);
        if (lastPosition >= fromKv) return { after: lastPosition, lastId };
      } catch (err) {
        logger.debug({ err }, 'last relayed message is gone (aged out); resuming from the saved checkpoint');
      }
    }
    return { after: fromKv, lastId: undefined };
  }

  async function saveCheckpoint(): Promise<void> {
    const p = progress.position;
    if (!kv || p === savedCheckpoint) return;
    await kv.put(CHECKPOINT_KEY, encoder.encode(String(p)));
    savedCheckpoint = p;
  }

  async function runOnce(): Promise<void> {
    const { after, lastId } = await resumePoint();
    advance(after);
    logger.info({ after }, 'relay resuming');
    let previousId = lastId;
    // In store order; the head advances the position as soon as it is acknowledged.
    const inFlight: Array<{ position: number; state: 'pending' | 'ok' | 'failed' }> = [];
    let failure: unknown;
    let roomWaiter: (() => void) | undefined;
    // One run ends on a failed publish or on stop(), whichever comes first.
    const run = new AbortController();
    const endRun = () => run.abort();
    stopping.signal.addEventListener('abort', endRun, { once: true });
    if (stopping.signal.aborted) run.abort();
    const onSettled = () => {
      while (inFlight.length > 0 && inFlight[0]!.state === 'ok') {
        published++;
        advance(inFlight.shift()!.position);
      }
      if (inFlight.length > 0 && inFlight[0]!.state === 'failed') run.abort();
      if (roomWaiter && (inFlight.length < window || run.signal.aborted)) {
        roomWaiter();
        roomWaiter = undefined;
      }
    };
    try {
      for await (const batch of store.subscribeAll({ after, signal: run.signal, batchWindowMs: opts.batchWindowMs ?? 2 })) {
        // Publish the whole batch in one synchronous run: the client writes it to the socket at once.
        for (const event of batch) {
          const entry = { position: event.position, state: 'pending' as 'pending' | 'ok' | 'failed' };
          inFlight.push(entry);
          publishEvent(event, previousId).then(
            () => {
              entry.state = 'ok';
              onSettled();
            },
            (e: unknown) => {
              failure ??= e;
              entry.state = 'failed';
              onSettled();
            },
          );
          previousId = event.id;
        }
        if (inFlight.length >= window) await new Promise<void>((r) => (roomWaiter = r));
        if (run.signal.aborted) break;
      }
    } catch (e) {
      failure ??= e;
    }
    stopping.signal.removeEventListener('abort', endRun);
    // Let what is already sent settle, so the position is exact before resuming.
    while (inFlight.some((e) => e.state === 'pending')) await new Promise((r) => setTimeout(r, 10));
    onSettled();
    if (failure !== undefined && !stopped) throw failure;
  }

  // The client encodes headers inside publish(), so one headers object serves every message.
  const slab = createSlab();
  const h = relayHeaders(slab);

  function publishEvent(event: RecordedEvent, previousId: string | undefined): Promise<unknown> {
    const address = addressOfStream(event.stream);
    h.set(event.id, event.position, previousId);
    return publisher.publish(eventSubject(address?.kind ?? 'unknown', address?.id ?? event.stream, event.type), slab.encode(serializeEvent(event)), h.headers);
  }

  const checkpointTimer = setInterval(() => {
    saveCheckpoint().catch((err: unknown) => logger.warn({ err }, 'relay checkpoint not saved'));
  }, opts.checkpointEveryMs ?? 1000);
  checkpointTimer.unref();

  const loop = (async () => {
    let delay = 100;
    while (!stopped) {
      try {
        await runOnce();
        delay = 100;
      } catch (err) {
        if (stopped) break;
        logger.warn({ err, position: progress.position }, 'relay interrupted; resuming from where EP_EVT ends');
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 2000);
      }
    }
  })();

  return {
    get position() {
      return progress.position;
    },
    get published() {
      return published;
    },
    waitFor: (at, timeoutMs) => progress.waitFor(at, timeoutMs),
    async stop() {
      stopped = true;
      stopping.abort();
      await loop;
      clearInterval(checkpointTimer);
      await saveCheckpoint().catch((err: unknown) => logger.warn({ err }, 'final relay checkpoint not saved'));
      publisher.close();
    },
  };
}
