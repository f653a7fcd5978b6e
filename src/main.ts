import type { NatsConnection } from 'nats';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createActorHost, createRegistry, type ActorHost, type AnyDecider, type DeciderRegistry } from './actors/index.js';
import type { ControlPlaneConfig } from './config.js';
import { getSqliteSnapshotStore, openEventStore, type EventStore, type SnapshotStore } from './eventstore/index.js';
import { finishWithin } from './shared/deadline.js';
import { keepYoungPausesShort, missingNodeFlags } from './shared/heap.js';
import { createLogger, type Logger } from './shared/logger.js';
import { connectNats, ensureJetStream, startNatsServer, type NatsServerHandle, type Relay } from './transport/index.js';
import { startRelayThread } from './transport/relayThread.js';
import { createJetStreamPublisher } from './transport/jetstreamPublisher.js';
import { openReadModelDb, type ProjectionRunner } from './projections/index.js';
import { startProjectionThread } from './projections/projectionThread.js';
import { startProcessManagers, type ProcessRunner } from './processes/processManager.js';
import { routerSender } from './processes/routerSender.js';
import { createCommandRouter } from './actors/commandRouter.js';
import { createCommandBus } from './transport/commandBus.js';
import { openKvLeaseStore } from './cluster/leaseStore.js';
import { startPresence } from './cluster/presence.js';
import { startCluster, type Cluster } from './cluster/cluster.js';
import { checkClusterPartitions } from './cluster/clusterConfig.js';
import { recordLeadership, startNodeHeartbeat } from './cluster/leadershipEvents.js';
import type { Fence } from './eventstore/eventStore.js';
import { actuationsProcess } from './processes/actuations.process.js';
import { interactionsProcess } from './processes/interactions.process.js';
import { blockSyncProcess } from './processes/blockSync.process.js';
import { otaProcess } from './processes/ota.process.js';
import { livenessProcess } from './processes/liveness.process.js';
import { interactionRolesEnricher } from './actors/kinds/interactionRoles.js';
import type Database from 'better-sqlite3';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './api/app.js';
import { loadApiKeys } from './api/auth.js';
import { ConfigError, LeaseLostError } from './shared/errors.js';
import { createMqttBridgeSlot, embeddedMqttConfig, type MqttBridge } from './mqtt/index.js';

export interface ControlPlane {
  natsUrl: string;
  store: EventStore;
  registry: DeciderRegistry;
  host: ActorHost;
  /** The relay while this process leads (the relay is a leader-only singleton). */
  readonly relay: Relay | undefined;
  cluster: Cluster;
  nc: NatsConnection;
  /** The read models (SQLite, `<data-dir>/readmodels.db`) and the runner that keeps them. */
  readModels: Database.Database;
  projections: ProjectionRunner;
  /** The process managers while this process leads. */
  readonly processes: ProcessRunner | undefined;
  /** The HTTP API's base URL, when it runs. */
  httpUrl: string | undefined;
  /** The MQTT bridge while this process leads (`--mqtt`). */
  readonly mqtt: MqttBridge | undefined;
  stop(): Promise<void>;
}

/** The file `edgeplane send` reads to find a running control plane's NATS. */
export const RUNTIME_FILE = 'edgeplane.runtime.json';


interface RuntimeInfo {
  pid: number;
  natsUrl: string;
  httpUrl?: string;
  natsPid?: number;
  natsPort?: number;
  store: string;
  startedAt: string;
}

/**
 * After a crash (kill -9, power loss) the embedded nats-server of the previous run may still be
 * running, orphaned, on our JetStream directory: stop it, and hand back its port so boards that
 * were connected find the new one where the old one was.
 */
async function reclaimEmbeddedNats(runtimeFile: string, logger: Logger): Promise<number | undefined> {
  if (!existsSync(runtimeFile)) return undefined;
  let info: RuntimeInfo;
  try {
    info = JSON.parse(readFileSync(runtimeFile, 'utf8')) as RuntimeInfo;
  } catch {
    return undefined;
  }
  if (info.natsPid && isAlive(info.natsPid) && readCmdline(info.natsPid).includes('nats-server')) {
    logger.warn({ natsPid: info.natsPid }, 'stopping the orphaned nats-server of a previous run');
    process.kill(info.natsPid, 'SIGTERM');
    for (let i = 0; i < 100 && isAlive(info.natsPid); i++) await new Promise((r) => setTimeout(r, 50));
    if (isAlive(info.natsPid)) process.kill(info.natsPid, 'SIGKILL');
  }
  return info.natsPort;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function readCmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}

export async function startControlPlane(config: ControlPlaneConfig, deciders: readonly AnyDecider[], logger: Logger = createLogger()): Promise<ControlPlane> {
  keepYoungPausesShort();
  const missing = missingNodeFlags();
  if (missing.length > 0) {
    logger.warn({ missing }, `node was started without ${missing.join(' ')}: expect a full garbage collection every few seconds under load, each delaying commands by tens of ms (bin/edgeplane.js adds the flags itself)`);
  }
  // Refuse a bad API setup before anything starts.
  const apiKeys = config.apiKeysFile ? loadApiKeys(config.apiKeysFile) : undefined;
  if (config.httpPort !== null && !apiKeys && !isLoopback(config.httpHost)) {
    throw new ConfigError(`refusing to serve an open API on ${config.httpHost}: give --api-keys <file>, or listen on 127.0.0.1`);
  }
  mkdirSync(config.dataDir, { recursive: true });
  const runtimeFile = join(config.dataDir, RUNTIME_FILE);
  let natsServer: NatsServerHandle | undefined;
  let natsUrl = config.natsUrl;
  if (!natsUrl) {
    const previous = await reclaimEmbeddedNats(runtimeFile, logger);
    const extraConfig = config.mqtt && embeddedMqttConfig(config.mqtt, config);
    natsServer = await startNatsServer({ dataDir: join(config.dataDir, 'nats'), port: previous, extraConfig, logger: logger.child({ component: 'nats-server' }) });
    natsUrl = natsServer.url;
    logger.info({ url: natsUrl, natsPid: natsServer.pid }, 'embedded nats-server started');
  }
  const nc = await connectNats({ servers: natsUrl, name: `edgeplane-${config.processId}`, user: config.natsUser, pass: config.natsPass, logger: logger.child({ component: 'nats' }) });
  await checkClusterPartitions(nc, config.partitions);
  await ensureJetStream(nc, { replicas: config.replicas, partitions: config.partitions });

  const store = openEventStore(config.store, logger);
  const snapshots: SnapshotStore = getSqliteSnapshotStore({ path: join(config.dataDir, 'snapshots.db') });
  const registry = createRegistry(deciders);
  const bus = createCommandBus(nc, { partitions: config.partitions });
  const host: ActorHost = createActorHost({
    store,
    registry,
    snapshots,
    snapshotEvery: config.snapshotEvery,
    idleMs: config.idleMs,
    partitions: config.partitions,
    logger: logger.child({ component: 'actor-host' }),
    enrich: interactionRolesEnricher((kind, id) => host.inspect(kind, id)),
    onPartitionLost: (partition, token) => cluster.partitionLost(partition, token),
  });
  const dispatch = createCommandRouter(host, bus);

  // Read models: every process keeps its own, for its API.
  const projections = await startProjectionThread(
    { store: config.store, readModels: join(config.dataDir, 'readmodels.db'), logLevel: logger.level },
    logger.child({ component: 'projections' }),
  );
  const readModels = projections.db;
  const publisher = createJetStreamPublisher(nc);
  // The process managers' checkpoint is shared by whoever leads: beside a shared SQLite store,
  // else in this process's data dir (a new leader then re-sends reactions, which are idempotent).
  const processDb = openReadModelDb(config.store.startsWith('sqlite:') ? join(dirname(config.store.slice(7)), 'processes.db') : join(config.dataDir, 'processes.db'));

  const mqtt = createMqttBridgeSlot(config.mqtt, { nc, partitions: config.partitions, replicas: config.replicas, logger: logger.child({ component: 'mqtt' }) });
  /** The leader-only singletons: the relay and the process managers, all under one fencing token. */
  let relay: Relay | undefined;
  let processes: ProcessRunner | undefined;
  const startSingletons = (token: number) => {
    const fence: Fence = { key: 'leader', token };
    const sender = routerSender(dispatch, [fence]);
    const pmLogger = logger.child({ component: 'process', leaderToken: token });
    relay = startRelayThread(
      { store: config.store, nats: { servers: natsUrl, user: config.natsUser, pass: config.natsPass }, logLevel: logger.level },
      logger.child({ component: 'relay' }),
    );
    processes = startProcessManagers({
      store,
      db: processDb,
      logger: pmLogger,
      managers: [
        actuationsProcess({ publisher, logger: pmLogger }),
        interactionsProcess({ sender, logger: pmLogger }),
        blockSyncProcess({
          nc,
          publisher,
          sender,
          logger: pmLogger,
          blocks: {
            read: async (id) => {
              const { state, revision } = await host.inspect('block', id);
              return { data: (state as { data: Record<string, unknown> | null }).data, revision };
            },
          },
        }),
        otaProcess({ sender, logger: pmLogger, attemptTimeoutMs: config.otaAttemptTimeoutMs }),
        livenessProcess({ sender, logger: pmLogger, timeoutMs: config.heartbeatTimeoutMs }),
      ],
    });
    mqtt.start();
  };
  const stopSingletons = async () => {
    const [r, p] = [relay, processes];
    relay = undefined;
    processes = undefined;
    await Promise.all([p?.stop(), r?.stop(), mqtt.stop()]);
  };

  // Leadership goes on the process's `node` actor when this control plane has that kind.
  const recordsLeadership = registry.kinds().includes('node');
  let leadershipRecorded: Promise<void> = Promise.resolve();
  // Leases and presence on their own connection: renewals must not queue behind a flood of
  // command acknowledgements on the main one.
  const clusterNc = await connectNats({ servers: natsUrl, name: `edgeplane-${config.processId}-cluster`, user: config.natsUser, pass: config.natsPass, logger: logger.child({ component: 'nats-cluster' }) });
  const leases = await openKvLeaseStore(clusterNc, { ttlMs: config.leaseTtlMs, replicas: config.replicas });
  const cluster = startCluster({
    nc,
    processId: config.processId,
    ttlMs: config.leaseTtlMs,
    partitions: config.partitions,
    host,
    leases,
    presence: startPresence(clusterNc, config.processId),
    logger: logger.child({ component: 'cluster', processId: config.processId }),
    leadership: {
      async gained(token, stillHeld) {
        // From now on the store refuses anything the previous leader still tries to write.
        await store.raiseFence({ key: 'leader', token });
        // The fence can wait on the store's lock longer than the lease lasts.
        if (!stillHeld()) throw new LeaseLostError('leader', token);
        startSingletons(token);
        if (recordsLeadership) leadershipRecorded = recordLeadership(dispatch, config.processId, { gained: token }, logger);
      },
      async lost(token, reason) {
        await stopSingletons();
        if (recordsLeadership) leadershipRecorded = recordLeadership(dispatch, config.processId, { lost: token, reason }, logger);
      },
    },
  });
  await cluster.ready;
  const stopHeartbeat = !recordsLeadership ? () => undefined : startNodeHeartbeat(dispatch, config.processId, Math.max(1000, Math.floor(config.heartbeatTimeoutMs / 3)), logger.child({ component: 'cluster' }));

  let api: FastifyInstance | undefined;
  let httpUrl: string | undefined;
  if (config.httpPort !== null) {
    if (!apiKeys) logger.warn('THE HTTP API IS OPEN: no --api-keys, anyone on this machine is an admin (loopback only)');
    const apiHost = { dispatch, inspect: host.inspect, get metrics() { return host.metrics; } };
    api = buildApp({ host: apiHost, store, registry, readModels, projections, nats: nc, relay: { get position() { return relay?.position ?? 0; } }, cluster, mqtt: () => mqtt.bridge?.stats() }, {
      logger: logger.child({ component: 'http' }),
      apiKeys,
      rateLimit: { perSecond: config.writeRateLimit, burst: config.writeRateLimit * 2 },
    });
    await api.listen({ port: config.httpPort, host: config.httpHost });
    const address = api.server.address();
    httpUrl = `http://${config.httpHost}:${typeof address === 'object' && address ? address.port : config.httpPort}`;
    logger.info({ url: httpUrl }, 'HTTP API listening');
  }

  const runtime: RuntimeInfo = { pid: process.pid, natsUrl, httpUrl, natsPid: natsServer?.pid, natsPort: natsServer?.port, store: config.store, startedAt: new Date().toISOString() };
  writeFileSync(runtimeFile, JSON.stringify(runtime, null, 2));
  logger.info({ natsUrl, store: config.store, kinds: registry.kinds() }, 'control plane started');

  let stopping: Promise<void> | undefined;
  return {
    natsUrl,
    store,
    registry,
    host,
    get relay() {
      return relay;
    },
    cluster,
    nc,
    readModels,
    projections,
    get processes() {
      return processes;
    },
    httpUrl,
    get mqtt() {
      return mqtt.bridge;
    },
    stop() {
      stopping ??= (async () => {
        // Every step that talks to NATS is bounded: if the server is already gone (a signal to
        // the whole service, a crash), stopping must still finish.
        const step = (what: string, work: Promise<unknown>, ms = 10_000) => finishWithin(work, ms, what, logger);
        await step('closing the API', api?.close() ?? Promise.resolve(), 5000);
        stopHeartbeat();
        // Gives the leases back (singletons stopped, partitions drained) so survivors take over at once.
        // A leader drains, then gives its partitions back: up to a TTL each, in parallel.
        await step('giving the leases back', cluster.stop(), 2 * config.leaseTtlMs + 10_000);
        await step('stopping the singletons', stopSingletons());
        await step('recording the leadership change', leadershipRecorded, 5000);
        await step('stopping the actor host', host.stop());
        // The read models then hold everything this process stored.
        await step('folding what was stored into the read models', store.headPosition().then((head) => projections.waitFor(head, 5000)), 5000);
        await step('stopping the projections', projections.stop());
        processDb.close();
        publisher.close();
        bus.close();
        await step('closing the cluster connection', clusterNc.drain().catch(() => clusterNc.close()), 2000);
        await step('closing the NATS connection', nc.drain().catch(() => nc.close()), 2000);
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
