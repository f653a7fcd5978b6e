import type { NatsConnection } from 'nats';
import type { Logger } from '../shared/logger.js';
import { startMqttBridge, type MqttBridge } from './bridge.js';
import { ensureMqttIntake } from './natsMqtt.js';
import { compileRoutes, loadRoutes } from './routeTable.js';
import type { MqttSettings } from './settings.js';

/** The bridge as a leader-only singleton: started when leadership is gained, stopped (drained) when lost. */
export interface MqttBridgeSlot {
  /** The running bridge, if any (for stats). */
  readonly bridge: MqttBridge | undefined;
  start(): void;
  /** Waits for a start in progress, then stops the bridge: in-flight messages are stored and acknowledged first. */
  stop(): Promise<void>;
}

const RETRY_MS = 2000;
const DEFAULT_MAX_IN_FLIGHT = 2000;

/**
 * Reads and checks the routes now (a bad routes file fails the start of the process, not of a
 * later leadership), and makes the bridge's consumer of `$MQTT_msgs` at once, leader or not:
 * until it exists the server PUBACKs QoS 1 messages without keeping them. A bridge that cannot
 * start (JetStream not answering yet) is tried again every 2 s until it starts or the slot is
 * stopped. Without MQTT settings it does nothing.
 */
export function createMqttBridgeSlot(settings: MqttSettings | undefined, deps: { nc: NatsConnection; logger: Logger; partitions?: number; replicas?: number }): MqttBridgeSlot {
  if (!settings) return { bridge: undefined, start() {}, stop: async () => {} };
  const routes = loadRoutes(settings.routesFile);
  compileRoutes(routes);
  void deps.nc
    .jetstreamManager()
    .then((jsm) => ensureMqttIntake(jsm, { replicas: deps.replicas, maxAckPending: DEFAULT_MAX_IN_FLIGHT }))
    .catch((err: unknown) => deps.logger.warn({ err }, 'MQTT intake consumer not made yet (the bridge makes it when it starts)'));

  let bridge: MqttBridge | undefined;
  let starting: Promise<void> = Promise.resolve();
  /** Bumped by every start and stop: an attempt that finishes for an older one stops what it started. */
  let generation = 0;
  const attempt = async (gen: number): Promise<void> => {
    while (gen === generation) {
      try {
        const b = await startMqttBridge({ nc: deps.nc, logger: deps.logger, routes, partitions: deps.partitions, replicas: deps.replicas, maxInFlight: DEFAULT_MAX_IN_FLIGHT });
        if (gen === generation) bridge = b;
        else await b.stop();
        return;
      } catch (err) {
        deps.logger.error({ err }, `MQTT bridge did not start; trying again in ${RETRY_MS} ms`);
        await new Promise((r) => setTimeout(r, RETRY_MS));
      }
    }
  };
  return {
    get bridge() {
      return bridge;
    },
    start() {
      const gen = ++generation;
      const previous = starting;
      starting = previous.then(() => (gen === generation && !bridge ? attempt(gen) : undefined));
    },
    async stop() {
      generation++;
      await starting;
      const b = bridge;
      bridge = undefined;
      await b?.stop();
    },
  };
}
