import type { Logger } from '../shared/logger.js';

/** What the bridge has done since it started; `dropped` and `rejected` are keyed by error code. */
export interface MqttBridgeStats {
  received: { qos0: number; qos1: number };
  /** Commands stored in EP_CMD (their PubAck came back). */
  commands: number;
  /** Of those, the ones JetStream recognised by Nats-Msg-Id (a redelivery or a retransmitted reading). */
  duplicates: number;
  /** Device messages dropped before becoming a command, by code (ERR_MQTT_BAD_PAYLOAD, …). */
  dropped: Record<string, number>;
  /** Commands the actors refused, by code (ERR_DAEMON_NOT_REGISTERED, …). */
  rejected: Record<string, number>;
  /** Commands JetStream did not take (to be delivered again). */
  publishFailures: number;
  actuations: { sent: number; expired: number; dropped: Record<string, number> };
  /** Messages taken but not yet acknowledged. */
  inFlight: number;
}

export interface StatsKeeper {
  readonly stats: MqttBridgeStats;
  /** Counts a drop under its code and logs it with the topic (every one at first, then every 1,000th). */
  drop(where: 'dropped' | 'actuations', code: string, topic: string, err: unknown): void;
  reject(code: string): void;
}

const LOG_FIRST = 20;
const LOG_EVERY = 1000;

export function createStats(logger: Logger): StatsKeeper {
  const stats: MqttBridgeStats = {
    received: { qos0: 0, qos1: 0 },
    commands: 0,
    duplicates: 0,
    dropped: {},
    rejected: {},
    publishFailures: 0,
    actuations: { sent: 0, expired: 0, dropped: {} },
    inFlight: 0,
  };
  return {
    stats,
    drop(where, code, topic, err) {
      const counts = where === 'dropped' ? stats.dropped : stats.actuations.dropped;
      const n = (counts[code] = (counts[code] ?? 0) + 1);
      // A device stuck sending garbage must not flood the log; the counter keeps the total.
      if (n <= LOG_FIRST || n % LOG_EVERY === 0) {
        logger.warn({ err, topic, code, count: n }, where === 'dropped' ? 'MQTT message dropped' : 'actuation not sent to its device');
      }
    },
    reject(code) {
      stats.rejected[code] = (stats.rejected[code] ?? 0) + 1;
    },
  };
}

/** A deep copy, so a caller holding it sees the numbers of that moment. */
export function snapshotStats(s: MqttBridgeStats): MqttBridgeStats {
  return structuredClone(s);
}
