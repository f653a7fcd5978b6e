import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinDeciders } from '../../src/actors/kinds/index.js';
import { openDiskBuffer } from '../../src/edge/link/index.js';
import { startTestControlPlane, type TestControlPlane } from '../helpers/controlPlane.js';
import { eventually, tempDir } from '../helpers/nats.js';
import { spawnWorker, writeJson, type WorkerProcess } from './edge.helpers.js';

/**
 * Store-and-forward with the real worker binary: readings keep being taken while nats-server is
 * SIGKILLed, the worker itself is `kill -9`ed and restarted while NATS is still down, then NATS
 * comes back. Every reading the worker buffered arrives exactly once, in order per device.
 *
 * How "every" is checked: each buffered record's command id is `<epoch>-<seq>`, seqs 1…N with no
 * gaps. A run of the worker buffers its K registration commands (RegisterNode, one AttachSensor
 * per channel) before its first reading, and nothing else but readings (heartbeats are off), so
 * the seqs of the ReadingRecorded events must be exactly 1…N minus two blocks of K.
 */
describe('store-and-forward through real edge worker processes', () => {
  let t: TestControlPlane;
  const dir = tempDir('ep-edge-saf-');
  const workers: WorkerProcess[] = [];
  const SENSORS = ['saf-t', 'saf-env:temperature', 'saf-env:pressure', 'saf-env:humidity'];
  const K = 1 + SENSORS.length;

  beforeAll(async () => {
    t = await startTestControlPlane(builtinDeciders);
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.kill9()));
    await t?.cleanup();
    dir.cleanup();
  });

  /** A buffer record's command id, `<epoch>-<seq>`. */
  const seqOf = (commandId: unknown) => {
    const [epoch, seq] = String(commandId).split('-');
    return { epoch, seq: Number(seq) };
  };
  const readings = async () => {
    const all = [];
    for (const s of SENSORS) all.push(...(await t.cp.store.readStream(`sensor-${s}`)).filter((e) => e.type === 'ReadingRecorded').map((e) => ({ sensor: s, ...seqOf(e.metadata.commandId), at: Date.parse((e.data as { at: string }).at) })));
    return all;
  };

  it('delivers every reading exactly once, in order, across a nats-server SIGKILL and a worker kill -9', async () => {
    const config = writeJson(dir.path, 'hardware.json', {
      board: { kind: 'node', id: 'saf-node' },
      nats: { url: t.nats.url },
      buffer: { dir: 'buffer' },
      heartbeatMs: 0,
      devices: [
        { id: 'saf-t', bus: 'i2c', address: '0x48', driver: 'tmp102', intervalMs: 20 },
        { id: 'saf-env', bus: 'i2c', address: '0x76', driver: 'bme280', intervalMs: 25 },
      ],
    });
    const start = (n: number) => {
      const w = spawnWorker(config, { args: ['--simulate'], logFile: join(dir.path, `worker-${n}.log`) });
      workers.push(w);
      return w;
    };

    const first = start(1);
    await eventually(async () => expect((await readings()).length).toBeGreaterThan(300), { timeoutMs: 20_000, intervalMs: 200 });

    // NATS dies; the worker keeps sampling into its buffer.
    await t.nats.stop('SIGKILL');
    await sleep(1500);
    // The worker dies too, without a chance to flush anything; a new one takes over its buffer.
    await first.kill9();
    const second = start(2);
    await eventually(() => expect(second.lines().some((l) => l.msg === 'edge worker started')).toBe(true), { timeoutMs: 10_000 });
    await sleep(1500);
    expect(second.lines().find((l) => l.msg === 'edge worker started')!.pending).toBeGreaterThan(100);

    // NATS is back (same store): the backlog drains while new readings keep coming.
    await t.nats.restart();
    const back = Date.now();
    // Wait for the backlog to drain before stopping (the stop's flush is bounded): once every
    // device has a reading taken after NATS came back, all it buffered before that is through
    // (each device's readings arrive in the order taken, checked below).
    await eventually(
      async () => {
        const es = await readings();
        for (const s of SENSORS) expect(Math.max(...es.filter((e) => e.sensor === s).map((e) => e.at))).toBeGreaterThan(back);
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    expect(await second.stop()).toBe(0);

    const buffer = await openDiskBuffer(join(dir.path, 'buffer'));
    const { durableSeq: n, deliveredSeq, epoch, dropped } = buffer.stats();
    await buffer.close();
    expect({ deliveredSeq, dropped }).toEqual({ deliveredSeq: n, dropped: 0 });

    const events = await eventually(
      async () => {
        const es = await readings();
        expect(es.length).toBeGreaterThanOrEqual(n - 2 * K);
        return es;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    expect(events.every((e) => e.epoch === epoch)).toBe(true);
    const seqs = events.map((e) => e.seq);
    // Exactly once: no reading recorded twice.
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(seqs.length).toBe(n - 2 * K);
    // Every one: what is missing from 1…N is exactly the two runs' registrations.
    const taken = new Set(seqs);
    const missing = Array.from({ length: n }, (_, i) => i + 1).filter((s) => !taken.has(s));
    const restartAt = missing[K]!;
    expect(missing).toEqual([...Array.from({ length: K }, (_, i) => i + 1), ...Array.from({ length: K }, (_, i) => restartAt + i)]);
    // In order per device: stream order is the order the readings were taken.
    for (const s of SENSORS) {
      const mine = events.filter((e) => e.sensor === s);
      expect(mine.length).toBeGreaterThan(50);
      const order = mine.map((e) => e.seq);
      expect(order).toEqual([...order].sort((a, b) => a - b));
      const times = mine.map((e) => e.at);
      expect(times).toEqual([...times].sort((a, b) => a - b));
    }
  });
});
