import { mkdirSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import type { DeviceDriver } from '../src/edge/driver.js';
import { createSimulatedI2cBus, createTmp102Driver, createTmp102Sim, sineWave } from '../src/edge/i2c/index.js';
import { connectEdge, createForwarder, openDiskBuffer, readingCommand, type DiskBuffer, type EdgeCommand } from '../src/edge/link/index.js';
import { createLogger } from '../src/shared/logger.js';
import { createJetStreamPublisher } from '../src/transport/jetstreamPublisher.js';
import { connectNats } from '../src/transport/natsConnection.js';

/**
 * bench/edge's edge worker, on its own thread (its own event loop, as on a board) so the control
 * plane it delivers to does not share a loop with it.
 */
export type EdgeTask =
  | { task: 'append'; dir: string; count: number; window: number }
  | { task: 'jsPublish' | 'leanPublish'; url: string; subject: string; count: number; window: number }
  | { task: 'stream'; url: string; dir: string; sensors: string[]; count: number; window: number; source: 'tmp102' | 'synthetic' }
  | { task: 'steady'; url: string; dir: string; sensors: string[]; rate: number; seconds: number }
  | { task: 'outage'; url: string; dir: string; sensors: string[]; count: number; window: number };

export type EdgeMessage = { type: 'mark'; name: string; at: number } | { type: 'done'; result: Record<string, number> } | { type: 'failed'; error: string };

const logger = createLogger({ level: 'warn' });
const encoder = new TextEncoder();

/** Keeps `window` operations outstanding until `count` are done. */
async function windowed(count: number, window: number, op: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < count) await op(next++);
  };
  await Promise.all(Array.from({ length: Math.min(window, count) }, lane));
}

/** Tells the main thread when a phase began (Date.now: both threads share the clock). */
const mark = (name: string) => parentPort!.postMessage({ type: 'mark', name, at: Date.now() } satisfies EdgeMessage);

const seconds = (t0: number) => (performance.now() - t0) / 1000;

function percentiles(samples: number[]): { p50: number; p99: number; max: number } {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0;
  return { p50: at(0.5), p99: at(0.99), max: s.at(-1) ?? 0 };
}

/**
 * The board's devices: simulated TMP102s (register-level chips on simulated I2C buses, four
 * addresses per bus as on real hardware), read through the real driver. Reading i comes from
 * device i % n and is timestamped when the driver returns it.
 */
function tmp102Board(sensors: string[]): (i: number) => Promise<EdgeCommand> {
  const buses: Array<ReturnType<typeof createSimulatedI2cBus>> = [];
  const drivers: DeviceDriver[] = sensors.map((_, i) => {
    const bus = buses[Math.floor(i / 4)] ?? (buses[Math.floor(i / 4)] = createSimulatedI2cBus());
    const address = 0x48 + (i % 4);
    bus.attach(address, createTmp102Sim({ temperature: sineWave({ mean: 21 + i, amplitude: 2, periodMs: 60_000 }) }));
    return createTmp102Driver(bus, address, { logger });
  });
  return async (i) => {
    const s = i % sensors.length;
    const [r] = await drivers[s]!.read();
    return readingCommand(sensors[s]!, r!.value, new Date());
  };
}

/** Readings without a driver: what the link alone can carry. */
function synthetic(sensors: string[]): (i: number) => Promise<EdgeCommand> {
  return (i) => Promise.resolve(readingCommand(sensors[i % sensors.length]!, 20 + (i % 100) / 10, new Date()));
}

async function link(url: string, buffer: DiskBuffer, pubAckMs?: number[]) {
  const connection = await connectEdge({ servers: url, name: 'bench-edge', logger });
  const forwarder = createForwarder({
    buffer,
    connection,
    logger,
    onDelivered: pubAckMs
      ? (records) => {
          const now = Date.now();
          for (const r of records) pubAckMs.push(now - Date.parse(r.data.at as string));
        }
      : undefined,
  });
  return {
    forwarder,
    async close() {
      await forwarder.close();
      await connection.close();
    },
  };
}

async function run(t: EdgeTask): Promise<Record<string, number>> {
  switch (t.task) {
    case 'append': {
      mkdirSync(t.dir, { recursive: true });
      const buffer = await openDiskBuffer(t.dir, { logger, maxBytes: 512 * 1024 * 1024 });
      // Ready-made readings: the buffer alone, no driver in the way.
      const sensors = ['b0', 'b1', 'b2', 'b3', 'b4'];
      const reading = (i: number) => readingCommand(sensors[i % sensors.length]!, 20 + (i % 100) / 10, new Date());
      let t0 = performance.now();
      await windowed(t.count, t.window, (i) => buffer.append(reading(i)));
      const grouped = t.count / seconds(t0);
      const one = Math.min(2000, t.count);
      t0 = performance.now();
      for (let i = 0; i < one; i++) await buffer.append(reading(i));
      const sequential = one / seconds(t0);
      await buffer.close();
      return { grouped, sequential };
    }
    case 'jsPublish':
    case 'leanPublish': {
      const nc = await connectNats({ servers: t.url, name: 'bench-edge-ceiling' });
      const body = (i: number) => encoder.encode(JSON.stringify([{ id: `c${i}`, type: 'RecordReading', data: { value: i, at: new Date().toISOString() } }]));
      const t0 = performance.now();
      if (t.task === 'jsPublish') {
        const js = nc.jetstream();
        await windowed(t.count, t.window, (i) => js.publish(t.subject, body(i)));
      } else {
        const p = createJetStreamPublisher(nc);
        await windowed(t.count, t.window, (i) => p.publish(t.subject, body(i)));
        p.close();
      }
      const rate = t.count / seconds(t0);
      await nc.close();
      return { rate };
    }
    case 'stream': {
      const buffer = await openDiskBuffer(t.dir, { logger, maxBytes: 512 * 1024 * 1024 });
      const take = t.source === 'tmp102' ? tmp102Board(t.sensors) : synthetic(t.sensors);
      const l = await link(t.url, buffer);
      mark('producing');
      const t0 = performance.now();
      await windowed(t.count, t.window, async (i) => buffer.append(await take(i)));
      const producedSeconds = seconds(t0);
      await l.forwarder.drained(300_000);
      const ackedSeconds = seconds(t0);
      const stats = l.forwarder.stats();
      await l.close();
      await buffer.close();
      return { producedSeconds, ackedSeconds, delivered: stats.delivered, duplicates: stats.duplicates };
    }
    case 'steady': {
      const buffer = await openDiskBuffer(t.dir, { logger });
      const pubAckMs: number[] = [];
      const take = tmp102Board(t.sensors);
      const l = await link(t.url, buffer, pubAckMs);
      // A sampling tick every 10 ms, each taking its share of the offered rate.
      const perTick = Math.max(1, Math.round(t.rate / 100));
      const total = Math.round(t.rate * t.seconds);
      const t0 = performance.now();
      for (let k = 0, taken = 0; taken < total; k++) {
        const wait = t0 + k * 10 - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        const tick: Array<Promise<unknown>> = [];
        for (let j = 0; j < perTick && taken < total; j++, taken++) tick.push(take(taken).then((r) => buffer.append(r)));
        await Promise.all(tick);
      }
      await l.forwarder.drained(60_000);
      await l.close();
      await buffer.close();
      const p = percentiles(pubAckMs);
      return { count: total, pubAckP50: p.p50, pubAckP99: p.p99, pubAckMax: p.max };
    }
    case 'outage': {
      // The board is cut off (no connection at all): readings go to disk only.
      const buffer = await openDiskBuffer(t.dir, { logger, maxBytes: 512 * 1024 * 1024 });
      const take = tmp102Board(t.sensors);
      let t0 = performance.now();
      await windowed(t.count, t.window, async (i) => buffer.append(await take(i)));
      const bufferedSeconds = seconds(t0);
      const bytes = buffer.stats().bytes;
      // Back online: connect, then drain the backlog.
      const l = await link(t.url, buffer);
      mark('draining');
      t0 = performance.now();
      await l.forwarder.drained(300_000);
      const drainSeconds = seconds(t0);
      await l.close();
      await buffer.close();
      return { bufferedSeconds, drainSeconds, bytes };
    }
  }
}

run(workerData as EdgeTask).then(
  (result) => parentPort!.postMessage({ type: 'done', result } satisfies EdgeMessage),
  (e: unknown) => parentPort!.postMessage({ type: 'failed', error: String((e as Error)?.stack ?? e) } satisfies EdgeMessage),
);
