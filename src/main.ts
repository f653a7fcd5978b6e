import type { NatsConnection } from 'nats';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createActorHost, createRegistry, type ActorHost, type AnyDecider, type DeciderRegistry } from './actors/index.js';
import type { ControlPlaneConfig } from './config.js';
import { getEsdbEventStore, getSqliteEventStore, getSqliteSnapshotStore, type EventStore, type SnapshotStore } from './eventstore/index.js';
import { createLogger, type Logger } from './shared/logger.js';
import { connectNats, ensureJetStream, startNatsServer, startRelay, type NatsServerHandle, type Relay } from './transport/index.js';

export interface ControlPlane {
  natsUrl: string;
  store: EventStore;
  registry: DeciderRegistry;
  host: ActorHost;
  relay: Relay;
  nc: NatsConnection;
  stop(): Promise<void>;
}

/** The file `edgeplane send` reads to find a running control plane's NATS. */
export const RUNTIME_FILE = 'edgeplane.runtime.json';

/** Picks the concrete adapters from the config: the one place that does. */
export function openEventStore(config: Pick<ControlPlaneConfig, 'store'>, logger: Logger): EventStore {
  if (config.store.startsWith('sqlite:')) return getSqliteEventStore({ path: config.store.slice('sqlite:'.length), logger: logger.child({ component: 'sqlite' }) });
  return getEsdbEventStore({ connectionString: config.store, logger: logger.child({ component: 'esdb' }) });
}

export async function startControlPlane(config: ControlPlaneConfig, deciders: readonly AnyDecider[], logger: Logger = createLogger()): Promise<ControlPlane> {
  mkdirSync(config.dataDir, { recursive: true });
  let natsServer: NatsServerHandle | undefined;
  let natsUrl = config.natsUrl;
  if (!natsUrl) {
    natsServer = await startNatsServer({ dataDir: join(config.dataDir, 'nats'), logger: logger.child({ component: 'nats-server' }) });
    natsUrl = natsServer.url;
    logger.info({ url: natsUrl, pid: natsServer.pid }, 'embedded nats-server started');
  }
  const nc = await connectNats({ servers: natsUrl, name: `edgeplane-${process.pid}`, user: config.natsUser, pass: config.natsPass, logger: logger.child({ component: 'nats' }) });
  await ensureJetStream(nc, { replicas: config.replicas });

  const store = openEventStore(config, logger);
  const snapshots: SnapshotStore = getSqliteSnapshotStore({ path: join(config.dataDir, 'snapshots.db') });
  const registry = createRegistry(deciders);
  const host = createActorHost({ store, registry, snapshots, snapshotEvery: config.snapshotEvery, idleMs: config.idleMs, logger: logger.child({ component: 'actor-host' }) });
  const relay = startRelay({ store, nc, logger: logger.child({ component: 'relay' }) });
  await host.consume(nc);

  const runtimeFile = join(config.dataDir, RUNTIME_FILE);
  writeFileSync(runtimeFile, JSON.stringify({ pid: process.pid, natsUrl, store: config.store, startedAt: new Date().toISOString() }, null, 2));
  logger.info({ natsUrl, store: config.store, kinds: registry.kinds() }, 'control plane started');

  let stopping: Promise<void> | undefined;
  return {
    natsUrl,
    store,
    registry,
    host,
    relay,
    nc,
    stop() {
      stopping ??= (async () => {
        await host.stop();
        await relay.stop();
        await nc.drain().catch(() => undefined);
        await store.close();
        snapshots.close();
        await natsServer?.stop();
        rmSync(runtimeFile, { force: true });
        logger.info('control plane stopped');
      })();
      return stopping;
    },
  };
}
