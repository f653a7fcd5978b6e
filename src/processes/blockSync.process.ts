import { headers as natsHeaders, type NatsConnection, type Subscription } from 'nats';
import type { Logger } from '../shared/logger.js';
import type { JetStreamPublisher } from '../transport/jetstreamPublisher.js';
import { HEADER, syncSubject } from '../transport/subjects.js';
import { actorOf, dataOf, reactionId } from './events.js';
import type { CommandSender, ProcessManager } from './processManager.js';

export interface BlockReader {
  /** A block's current data and revision (-1: none). */
  read(id: string): Promise<{ data: Record<string, unknown> | null; revision: number }>;
}

interface Broadcast {
  key: string;
  data: Record<string, unknown>;
  masterRevision: number;
  masterAt: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Brewblox block sync. Every master's interval its data is published on JetStream under its
 * routing key (`ep.sync.<service>.<blockId>`); each slave of that key is sent `ApplySync`, which
 * the block decider applies whole or through the slave's translation table. Command ids carry
 * the master revision, so a repeated broadcast costs nothing.
 */
export function blockSyncProcess(deps: { nc: NatsConnection; publisher: JetStreamPublisher; sender: CommandSender; blocks: BlockReader; logger: Logger }): ProcessManager {
  const masters = new Map<string, { block: string; interval: number; timer?: NodeJS.Timeout }>();
  const slaves = new Map<string, Set<string>>();
  let live = false;
  let sub: Subscription | undefined;

  const schedule = (key: string) => {
    const m = masters.get(key);
    if (!m || !live) return;
    clearInterval(m.timer);
    m.timer = setInterval(() => void broadcast(key), m.interval * 1000);
    m.timer.unref();
  };

  async function broadcast(key: string): Promise<void> {
    const m = masters.get(key);
    if (!m) return;
    try {
      const { data, revision } = await deps.blocks.read(m.block);
      if (!data) return;
      const body: Broadcast = { key, data, masterRevision: revision, masterAt: new Date().toISOString() };
      const h = natsHeaders();
      h.set(HEADER.msgId, `${key}@${revision}`);
      await deps.publisher.publish(syncSubject(key), encoder.encode(JSON.stringify(body)), h);
    } catch (err) {
      deps.logger.warn({ err, key }, 'block broadcast failed (next interval retries)');
    }
  }

  async function deliver(b: Broadcast): Promise<void> {
    for (const slave of slaves.get(b.key) ?? []) {
      const r = await deps.sender.send('block', slave, {
        id: reactionId('sync', slave, b.key, b.masterRevision),
        type: 'ApplySync',
        data: { key: b.key, data: b.data, masterRevision: b.masterRevision, masterAt: b.masterAt },
      });
      if (!r.ok && r.error.code !== 'ERR_BLOCK_NOT_SLAVE') deps.logger.warn({ slave, key: b.key, error: r.error }, 'slave block not synced');
    }
  }

  return {
    name: 'block-sync',
    kinds: ['block'],
    observe(e) {
      if (actorOf(e).kind !== 'block') return;
      const block = actorOf(e).id;
      if (e.type === 'BlockBecameMaster') {
        const { key, interval } = dataOf<{ key: string; interval: number }>(e);
        clearInterval(masters.get(key)?.timer);
        masters.set(key, { block, interval });
        schedule(key);
      } else if (e.type === 'BlockBecameSlave') {
        for (const set of slaves.values()) set.delete(block);
        const { key } = dataOf<{ key: string }>(e);
        if (!slaves.has(key)) slaves.set(key, new Set());
        slaves.get(key)!.add(block);
      } else if (e.type === 'BlockSyncStopped') {
        const { role, key } = dataOf<{ role: 'master' | 'slave'; key: string }>(e);
        if (role === 'master') {
          clearInterval(masters.get(key)?.timer);
          masters.delete(key);
        } else slaves.get(key)?.delete(block);
      }
    },
    start() {
      live = true;
      for (const key of masters.keys()) schedule(key);
      sub = deps.nc.subscribe('ep.sync.>', {
        callback: (err, msg) => {
          if (err) return;
          try {
            void deliver(JSON.parse(decoder.decode(msg.data)) as Broadcast).catch((e: unknown) => deps.logger.warn({ err: e }, 'sync delivery failed'));
          } catch (e) {
            deps.logger.warn({ err: e, subject: msg.subject }, 'malformed block broadcast ignored');
          }
        },
      });
    },
    stop() {
      live = false;
      sub?.unsubscribe();
      for (const m of masters.values()) clearInterval(m.timer);
    },
  };
}
