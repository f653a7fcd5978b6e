import type Database from 'better-sqlite3';
import type { ActorHost } from '../actors/actorHost.js';
import type { CommandRequest, CommandResult } from '../actors/commandEnvelope.js';
import type { DeciderRegistry } from '../actors/registry.js';
import type { EventStore } from '../eventstore/eventStore.js';
import type { ProjectionRunner } from '../projections/projectionRunner.js';
import type { ApiKey } from './auth.js';
import type { ClusterStatus } from '../cluster/cluster.js';
import type { MqttBridgeStats } from '../mqtt/stats.js';

/** What the API needs from the control plane; `buildApp` takes nothing else. */
export interface ApiOptions {
  /** Bearer keys; without them the API is open (loopback only). */
  apiKeys?: readonly ApiKey[];
  rateLimit?: { perSecond: number; burst: number };
}

export interface ApiDeps {
  host: Pick<ActorHost, 'dispatch' | 'inspect' | 'metrics'>;
  /** For /readyz and /metrics, when the API runs inside a control plane. */
  nats?: { isClosed(): boolean; isDraining(): boolean };
  relay?: { readonly position: number };
  /** The MQTT bridge's counters while this process runs it (the leader, with `--mqtt`), for /metrics. */
  mqtt?: () => MqttBridgeStats | undefined;
  /** Leases and placement, for `/v1/cluster`. */
  cluster?: { status(): ClusterStatus; readonly isLeader: boolean };
  store: EventStore;
  registry: DeciderRegistry;
  readModels: Database.Database;
  projections: Pick<ProjectionRunner, 'waitFor' | 'position'>;
}

export type { CommandRequest, CommandResult };
