import type { JetStreamManager } from 'nats';
import { STREAM_COMMANDS } from '../../src/transport/subjects.js';

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNatsServer, type NatsServerHandle } from '../../src/transport/natsServer.js';

export interface TestNats extends NatsServerHandle {
  cleanup(): Promise<void>;
}

/** A real nats-server with JetStream on a free port and its own store dir (nats.js style setup()). */
export async function setupNats(extraConfig?: string): Promise<TestNats> {
  const dir = mkdtempSync(join(tmpdir(), 'ep-nats-'));
  const server = await startNatsServer({ dataDir: dir, extraConfig });
  return Object.assign(server, {
    async cleanup() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  });
}

export function tempDir(prefix = 'ep-'): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

export async function eventually<T>(fn: () => T | Promise<T>, opts: { timeoutMs?: number; intervalMs?: number } = {}): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      return await fn();
    } catch (e) {
      lastError = e;
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 50));
  }
  throw lastError;
}

/** Commands not yet acknowledged, summed over every partition's command stream (EP_CMD_<p>). */
export async function commandBacklog(jsm: JetStreamManager): Promise<{ pending: number; ackPending: number; redelivered: number }> {
  const out = { pending: 0, ackPending: 0, redelivered: 0 };
  for await (const s of jsm.streams.list()) {
    if (!s.config.name.startsWith(`${STREAM_COMMANDS}_`)) continue;
    for await (const c of jsm.consumers.list(s.config.name)) {
      out.pending += c.num_pending;
      out.ackPending += c.num_ack_pending;
      out.redelivered += c.num_redelivered;
    }
  }
  return out;
}
