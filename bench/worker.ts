import { headers as natsHeaders, type NatsConnection } from 'nats';
import { parentPort, workerData } from 'node:worker_threads';
import { connectNats } from '../src/transport/natsConnection.js';
import { createCommandBus } from '../src/transport/commandBus.js';
import { createJetStreamPublisher } from '../src/transport/jetstreamPublisher.js';
import { HEADER, commandSubject } from '../src/transport/subjects.js';

/**
 * The load generator, on its own thread and NATS connection so it does not share an event
 * loop with the control plane it measures.
 */
export type Task =
  | { task: 'jsPublish' | 'leanPublish'; url: string; count: number; subject: string }
  | { task: 'commands'; url: string; count: number; actors: number; runId: string; outstanding?: number }
  | { task: 'readings'; url: string; messages: number; perMessage: number; actors: number; runId: string }
  | { task: 'latency'; url: string; rate: number; seconds: number; actors: number; runId: string };

const encoder = new TextEncoder();
const payload = (i: number) => encoder.encode(JSON.stringify({ id: `p${i}`, type: 'RecordReading', data: { value: i * 0.5, at: '2026-11-22T00:00:00.000Z' } }));

async function windowed(count: number, window: number, send: (i: number) => Promise<unknown>): Promise<void> {
  let inFlight = 0;
  let next = 0;
  let failed: unknown;
  await new Promise<void>((resolve, reject) => {
    const pump = () => {
      if (failed) return reject(failed);
      if (next >= count && inFlight === 0) return resolve();
      while (inFlight < window && next < count) {
        inFlight++;
        send(next++).then(
          () => {
            inFlight--;
            pump();
          },
          (e: unknown) => {
            failed = e;
            inFlight--;
            pump();
          },
        );
      }
    };
    pump();
  });
}

async function run(t: Task): Promise<Record<string, number>> {
  const nc: NatsConnection = await connectNats({ servers: t.url, name: `bench-${t.task}` });
  try {
    const start = performance.now();
    switch (t.task) {
      case 'jsPublish': {
        const js = nc.jetstream();
        await windowed(t.count, 2000, (i) => js.publish(t.subject, payload(i)));
        break;
      }
      case 'leanPublish': {
        const p = createJetStreamPublisher(nc);
        await windowed(t.count, 4000, (i) => p.publish(t.subject, payload(i)));
        p.close();
        break;
      }
      case 'commands': {
        const p = createJetStreamPublisher(nc);
        // With `outstanding`, the publisher keeps at most that many commands published but not
        // yet relayed to ep.evt (it counts the relayed events on a plain subscription): sustained
        // end-to-end throughput with a bounded backlog. Without it, everything is published as
        // fast as JetStream takes it (a burst).
        let relayed = 0;
        let waiting: Array<() => void> = [];
        const sub = t.outstanding
          ? nc.subscribe('ep.evt.meter.>', {
              callback: () => {
                relayed++;
                const woken = waiting;
                waiting = [];
                for (const w of woken) w();
              },
            })
          : undefined;
        await windowed(t.count, 4000, async (i) => {
          while (t.outstanding && i - relayed >= t.outstanding) await new Promise<void>((r) => waiting.push(r));
          const h = natsHeaders();
          const id = `${t.runId}-${i}`;
          h.set(HEADER.msgId, id);
          const body = encoder.encode(JSON.stringify({ id, type: 'RecordReading', data: { value: i, at: '2026-11-22T00:00:00.000Z' } }));
          return p.publish(commandSubject('meter', `m${i % t.actors}`), body, h);
        });
        sub?.unsubscribe();
        p.close();
        break;
      }
      case 'readings': {
        const p = createJetStreamPublisher(nc);
        await windowed(t.messages, 200, (i) => {
          const h = natsHeaders();
          h.set(HEADER.msgId, `${t.runId}-b${i}`);
          const batch = Array.from({ length: t.perMessage }, (_, k) => ({ id: `${t.runId}-${i}-${k}`, type: 'RecordReading', data: { value: k, at: '2026-11-22T00:00:00.000Z' } }));
          return p.publish(commandSubject('meter', `m${i % t.actors}`), encoder.encode(JSON.stringify(batch)), h);
        });
        p.close();
        break;
      }
      case 'latency': {
        const bus = createCommandBus(nc);
        const total = t.rate * t.seconds;
        const latencies: number[] = [];
        const interval = 1000 / t.rate;
        const pending: Promise<void>[] = [];
        for (let i = 0; i < total; i++) {
          // Open loop: each command goes at its scheduled time whatever the previous ones did.
          const due = start + i * interval;
          const wait = due - performance.now();
          if (wait > 1) await new Promise((r) => setTimeout(r, wait));
          const sentAt = performance.now();
          pending.push(
            bus.send('meter', `m${i % t.actors}`, { id: `${t.runId}-${i}`, type: 'RecordReading', data: { value: i } }).then(() => {
              latencies.push(performance.now() - sentAt);
            }),
          );
        }
        await Promise.all(pending);
        bus.close();
        latencies.sort((a, b) => a - b);
        const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!;
        return { p50: q(0.5), p99: q(0.99), max: latencies.at(-1)!, count: latencies.length, offeredRate: t.rate };
      }
    }
    const seconds = (performance.now() - start) / 1000;
    return { seconds };
  } finally {
    await nc.close();
  }
}

run(workerData as Task).then(
  (r) => parentPort!.postMessage({ ok: true, result: r }),
  (e: unknown) => parentPort!.postMessage({ ok: false, error: String((e as Error)?.stack ?? e) }),
);
