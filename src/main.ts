import type { NatsConnection } from 'nats';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createActorHost, createRegistry, type ActorHost, type AnyDecider, type DeciderRegistry } from './actors/index.js';
import type { ControlPlaneConfig } from './config.js';
import { getSqliteSnapshotStore, openEventStore, type EventStore, type SnapshotStore } from './eventstore/index.js';
import { createLogger, type Logger } from './shared/logger.js';
import { connectNats, ensureJetStream, startNatsServer, type NatsServerHandle, type Relay } from './transport/index.js';
import { startRelayThread } from './transport/relayThread.js';
import { createJetStreamPublisher } from './transport/jetstreamPublisher.js';
import { openReadModelDb, type ProjectionRunner } from './projections/index.js';
import { startProjectionThread } from './projections/projectionThread.js';
import { startProcessManagers, type ProcessRunner } from './processes/processManager.js';
import { localSender } from './processes/localSender.js';
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
import { ConfigError } from './shared/errors.js';

export interface ControlPlane {
  natsUrl: string;
  store: EventStore;
  registry: DeciderRegistry;
  host: ActorHost;
  relay: Relay;
  nc: NatsConnection;
  /** The read models (SQLite, `<data-dir>/readmodels.db`) and the runner that keeps them. */
  readModels: Database.Database;
  projections: ProjectionRunner;
  processes: ProcessRunner;
  /** The HTTP API's base URL, when it runs. */
  httpUrl: string | undefined;
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
    natsServer = await startNatsServer({ dataDir: join(config.dataDir, 'nats'), port: previous, logger: logger.child({ component: 'nats-server' }) });
    natsUrl = natsServer.url;
    logger.info({ url: natsUrl, natsPid: natsServer.pid }, 'embedded nats-server started');
  }
  const nc = await connectNats({ servers: natsUrl, name: `edgeplane-${process.pid}`, user: config.natsUser, pass: config.natsPass, logger: logger.child({ component: 'nats' }) });
  await ensureJetStream(nc, { replicas: config.replicas });

  const store = openEventStore(config.store, logger);
  const snapshots: SnapshotStore = getSqliteSnapshotStore({ path: join(config.dataDir, 'snapshots.db') });
  const registry = createRegistry(deciders);
  const host: ActorHost = createActorHost({
    store,
    registry,
    snapshots,
    snapshotEvery: config.snapshotEvery,
    idleMs: config.idleMs,
    logger: logger.child({ component: 'actor-host' }),
    enrich: interactionRolesEnricher((kind, id) => host.inspect(kind, id)),
  });
  const relay = startRelayThread(
    { store: config.store, nats: { servers: natsUrl, user: config.natsUser, pass: config.natsPass }, logLevel: logger.level },
    logger.child({ component: 'relay' }),
  );
  await host.consume(nc);

  // Read models, then the process managers that react to events with commands.
  const projections = await startProjectionThread(
    { store: config.store, readModels: join(config.dataDir, 'readmodels.db'), logLevel: logger.level },
    logger.child({ component: 'projections' }),
  );
  const readModels = projections.db;
  const publisher = createJetStreamPublisher(nc);
  const sender = localSender(host);
  const pmLogger = logger.child({ component: 'process' });
  // Their own file: the projection thread writes readmodels.db, and a lock wait on this thread
  // would stall the actor host.
  const processDb = openReadModelDb(join(config.dataDir, 'processes.db'));
  const processes = startProcessManagers({
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

  let api: FastifyInstance | undefined;
  let httpUrl: string | undefined;
  if (config.httpPort !== null) {
    if (!apiKeys) logger.warn('THE HTTP API IS OPEN: no --api-keys, anyone on this machine is an admin (loopback only)');
    api = buildApp({ host, store, registry, readModels, projections, nats: nc, relay }, {
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
    relay,
    nc,
    readModels,
    projections,
    processes,
    httpUrl,
    stop() {
      stopping ??= (async () => {
        await api?.close();
        await processes.stop();
        await host.stop();
        await projections.stop();
        processDb.close();
        publisher.close();
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
