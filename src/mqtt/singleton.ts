import type { NatsConnection } from 'nats';
import type { Logger } from '../shared/logger.js';
import { startMqttBridge, type MqttBridge } from './bridge.js';
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

/**
 * Reads and checks the routes now (a bad routes file fails the start of the process, not of a
 * later leadership); a bridge that cannot start (JetStream not answering yet) is tried again
 * every 2 s until it starts or the slot is stopped. Without MQTT settings it does nothing.
 */
export function createMqttBridgeSlot(settings: MqttSettings | undefined, deps: { nc: NatsConnection; logger: Logger; partitions?: number; replicas?: number }): MqttBridgeSlot {
  if (!settings) return { bridge: undefined, start() {}, stop: async () => {} };
  const routes = loadRoutes(settings.routesFile);
  compileRoutes(routes);
  let bridge: MqttBridge | undefined;
  let starting: Promise<void> | undefined;
  let wanted = false;
  const attempt = async (): Promise<void> => {
    while (wanted) {
      try {
        const b = await startMqttBridge({ nc: deps.nc, logger: deps.logger, routes, partitions: deps.partitions, replicas: deps.replicas });
        if (wanted) bridge = b;
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
      if (wanted) return;
      wanted = true;
      starting = attempt();
    },
    async stop() {
      wanted = false;
      await starting;
      const b = bridge;
      bridge = undefined;
      await b?.stop();
    },
  };
}
