import Database from 'better-sqlite3';
import { AckPolicy, DeliverPolicy, type NatsConnection } from 'nats';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectNats } from '../../src/transport/natsConnection.js';
import { createCommandBus, type CommandBus } from '../../src/transport/commandBus.js';
import { HEADER, STREAM_EVENTS } from '../../src/transport/subjects.js';
import { spawnControlPlane, type ControlPlaneProcess } from '../helpers/controlPlaneProcess.js';
import { commandBacklog, eventually, setupNats, tempDir, type TestNats } from '../helpers/nats.js';

type Ok = { ok: true; events: Array<{ id: string }> };

describe('crash safety: kill -9 the control plane during a burst of 10,000 commands', () => {
  let nats: TestNats;
  let dir: ReturnType<typeof tempDir>;
  let nc: NatsConnection;
  let bus: CommandBus;
  let cp: ControlPlaneProcess | undefined;

  beforeAll(async () => {
    nats = await setupNats();
    dir = tempDir('ep-crash-');
    nc = await connectNats({ servers: nats.url, name: 'crash-test' });
    bus = createCommandBus(nc);
  });
  afterAll(async () => {
    await cp?.stop();
    bus.close();
    await nc.close();
    await nats.cleanup();
    dir.cleanup();
  });

  it('every success reply has its events exactly once in the store and on ep.evt; commands sent while down run after restart', async () => {
    cp = await spawnControlPlane({ dataDir: dir.path, natsUrl: nats.url });
    const TOTAL = 10_000;
    const acknowledged = new Map<string, string[]>(); // command id → event ids from a success reply
    let killed = false;
    let next = 0;
    const worker = async () => {
      while (next < TOTAL) {
        const i = next++;
        const id = `burst-${i}`;
        if (killed) {
          // The control plane is gone: the rest of the burst is only stored in JetStream.
          await bus.publish('counter', `a${i % 1000}`, { id, type: 'Increment' });
          continue;
        }
        try {
          const reply = await bus.send<Ok>('counter', `a${i % 1000}`, { id, type: 'Increment' }, { timeoutMs: 3000 });
          if (reply.ok) acknowledged.set(id, reply.events.map((e) => e.id));
        } catch {
          // No reply (the control plane was killed): the command is still in JetStream.
        }
        if (!killed && acknowledged.size >= 3000) {
          killed = true;
          await cp!.kill9();
        }
      }
    };
    await Promise.all(Array.from({ length: 200 }, worker));
    expect(killed).toBe(true);

    // While it is down: durable in JetStream, not yet processed.
    const whileDown = Array.from({ length: 50 }, (_, i) => `down-${i}`);
    for (const id of whileDown) await bus.publish('counter', `d${id}`, { id, type: 'Increment' });

    cp = await spawnControlPlane({ dataDir: dir.path, natsUrl: nats.url });
    const jsm = await nc.jetstreamManager();
    await eventually(
      async () => {
        const backlog = await commandBacklog(jsm);
        expect(backlog.pending + backlog.ackPending).toBe(0);
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );

    const db = new Database(join(dir.path, 'events.db'), { readonly: true });
    const all = db.prepare("SELECT id, stream, json_extract(metadata, '$.commandId') AS commandId FROM events ORDER BY position").all() as Array<{ id: string; stream: string; commandId: string }>;
    db.close();
    // The control plane's own node actor (leadership, heartbeats) also has events: count the counters'.
    const rows = all.filter((r) => r.stream.startsWith('counter-'));
    const head = all.length;

    // Exactly once in the store: every command (acknowledged or not) produced exactly one event.
    const perCommand = new Map<string, number>();
    for (const r of rows) perCommand.set(r.commandId, (perCommand.get(r.commandId) ?? 0) + 1);
    expect(rows.length).toBe(TOTAL + whileDown.length);
    expect([...perCommand.values()].every((n) => n === 1)).toBe(true);
    const storedIds = new Set(rows.map((r) => r.id));
    for (const [, eventIds] of acknowledged) for (const e of eventIds) expect(storedIds.has(e)).toBe(true);
    for (const id of whileDown) expect(perCommand.get(id)).toBe(1);

    // Exactly once on ep.evt.
    await eventually(async () => expect((await jsm.streams.info(STREAM_EVENTS)).state.messages).toBeGreaterThanOrEqual(head), { timeoutMs: 60_000, intervalMs: 200 });
    await jsm.consumers.add(STREAM_EVENTS, { durable_name: 'crash-check', ack_policy: AckPolicy.None, deliver_policy: DeliverPolicy.All });
    const consumer = await nc.jetstream().consumers.get(STREAM_EVENTS, 'crash-check');
    const relayed = new Map<string, number>();
    while ([...relayed.values()].length < head) {
      const batch = await consumer.fetch({ max_messages: 2000, expires: 2000 });
      let got = 0;
      for await (const m of batch) {
        const id = m.headers!.get(HEADER.msgId);
        relayed.set(id, (relayed.get(id) ?? 0) + 1);
        got++;
      }
      if (got === 0) break;
    }
    expect(relayed.size).toBeGreaterThanOrEqual(head);
    expect([...relayed.values()].every((n) => n === 1)).toBe(true);
    for (const r of all) expect(relayed.get(r.id)).toBe(1);
    for (const [, eventIds] of acknowledged) for (const e of eventIds) expect(relayed.get(e)).toBe(1);
  }, 180_000);
});
