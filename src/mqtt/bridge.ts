import type { NatsConnection } from 'nats';
import type { Logger } from '../shared/logger.js';
import { createJetStreamPublisher } from '../transport/jetstreamPublisher.js';
import { createCommandSender } from './commandSender.js';
import { startActuations } from './deviceActuations.js';
import { startQos0Intake, startQos1Intake } from './deviceIntake.js';
import type { RunningConsumer } from './durableConsumer.js';
import { ensureMqttIntake } from './natsMqtt.js';
import { compileRoutes } from './routeTable.js';
import { defaultRoutes, type RouteTable } from './routes.js';
import { createStats, snapshotStats, type MqttBridgeStats } from './stats.js';

export interface MqttBridgeDeps {
  /** A connection as the control plane's own user (it reads `$MQTT_msgs` and EP_EDGE, writes EP_CMD). */
  nc: NatsConnection;
  logger: Logger;
  /** Default: the Paddy and ECP routes (`defaultRoutes`); `loadRoutes(file)` adds a site's. */
  routes?: RouteTable;
  /** Actor partitions, passed to the command subjects. */
  partitions?: number;
  /** Replicas for `$MQTT_msgs` when the bridge has to create it (before any device connected). */
  replicas?: number;
  /** Device messages taken but not yet stored as commands, at most (default 2,000). */
  maxInFlight?: number;
  publishTimeoutMs?: number;
}

export interface MqttBridge {
  stats(): MqttBridgeStats;
  /** Stops taking messages, waits for those taken to be stored and acknowledged, then returns. */
  stop(): Promise<void>;
}

/**
 * The MQTT bridge: device messages (nats-server's MQTT listener) become commands through the
 * route table, and actuations for MQTT devices go out on their command topics. A singleton:
 * in a cluster only the leader runs it (its consumers are durable, so a successor resumes).
 */
export async function startMqttBridge(deps: MqttBridgeDeps): Promise<MqttBridge> {
  const logger = deps.logger;
  // A bad route fails here, before anything is consumed.
  const routes = compileRoutes(deps.routes ?? defaultRoutes);
  const maxInFlight = deps.maxInFlight ?? 2000;
  const jsm = await deps.nc.jetstreamManager();
  const ensureIntake = () => ensureMqttIntake(jsm, { replicas: deps.replicas, maxAckPending: maxInFlight });
  const keeper = createStats(logger);
  const sender = createCommandSender(deps.nc, { partitions: deps.partitions, timeoutMs: deps.publishTimeoutMs, onRejected: (code) => keeper.reject(code) });
  const publisher = createJetStreamPublisher(deps.nc, { timeoutMs: deps.publishTimeoutMs ?? 10_000 });
  const common = { nc: deps.nc, inbound: routes.inbound, outbound: routes.outbound, sender, stats: keeper, logger };
  const running: RunningConsumer[] = [];
  try {
    running.push(await startQos1Intake({ ...common, maxMessages: Math.min(1024, maxInFlight), ensure: ensureIntake }));
    running.push(startQos0Intake(common));
    running.push(...(await startActuations({ nc: deps.nc, outbound: routes.outbound, publisher, stats: keeper, logger, maxAckPending: 1000 })));
  } catch (e) {
    await Promise.allSettled(running.map((r) => r.stop()));
    sender.close();
    publisher.close();
    throw e;
  }
  logger.info({ inbound: routes.table.inbound.length, outbound: routes.table.outbound.length }, 'MQTT bridge started');

  let stopping: Promise<void> | undefined;
  return {
    stats() {
      keeper.stats.inFlight = running.reduce((n, r) => n + r.inFlight, 0);
      return snapshotStats(keeper.stats);
    },
    stop() {
      stopping ??= (async () => {
        await Promise.allSettled(running.map((r) => r.stop()));
        sender.close();
        publisher.close();
        logger.info({ stats: keeper.stats }, 'MQTT bridge stopped');
      })();
      return stopping;
    },
  };
}
