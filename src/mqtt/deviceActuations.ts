import { createHash } from 'node:crypto';
import { AckPolicy, DeliverPolicy, headers as natsHeaders, type JsMsg, type NatsConnection } from 'nats';
import { EdgeplaneError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { JetStreamPublisher } from '../transport/jetstreamPublisher.js';
import { HEADER, STREAM_EDGE } from '../transport/subjects.js';
import { runDurable, type RunningConsumer } from './durableConsumer.js';
import { ACK_WAIT_MS, ensureConsumer, MQTT_MSGS_PREFIX, MQTT_QOS_HEADER } from './natsMqtt.js';
import type { OutboundRouter } from './outbound.js';
import type { StatsKeeper } from './stats.js';

const NANOS = 1_000_000;

/** One durable per filter, named after it, so adding a route never renames another's consumer. */
export const actuationDurable = (filter: string) => `ep-mqtt-out-${createHash('sha1').update(filter).digest('hex').slice(0, 12)}`;

/**
 * Actuations for MQTT devices (`ep.edge.daemon.<id>.power`, `ep.edge.node.<id>.set`, …) go to
 * the device's command topic at QoS 1, the way nats-server sends a device's own QoS 1 publish:
 * stored as `$MQTT.msgs.<topic>` (each QoS 1 subscription's consumer there redelivers it until
 * the device PUBACKs; a persistent session gets it after a reconnect), and published on the
 * topic's subject with `Nmqtt-Pub: 1` for QoS 0 subscribers. An expired actuation is dropped.
 */
export async function startActuations(d: {
  nc: NatsConnection;
  outbound: OutboundRouter;
  publisher: JetStreamPublisher;
  stats: StatsKeeper;
  logger: Logger;
  maxAckPending: number;
  now?: () => number;
}): Promise<RunningConsumer[]> {
  const jsm = await d.nc.jetstreamManager();
  const now = d.now ?? Date.now;
  const handle = async (m: JsMsg) => {
    let cmd;
    try {
      cmd = d.outbound.render(m.subject, m.data);
    } catch (e) {
      d.stats.drop('actuations', e instanceof EdgeplaneError ? e.code : 'ERR_MQTT_INTERNAL', m.subject, e);
      m.ack();
      return;
    }
    if (cmd.expiresAt !== undefined && cmd.expiresAt <= now()) {
      d.stats.stats.actuations.expired++;
      m.ack();
      return;
    }
    const h = natsHeaders();
    h.set(MQTT_QOS_HEADER, '1');
    // A re-send after a bridge restart is dropped by `$MQTT_msgs`' duplicate window.
    h.set(HEADER.msgId, `mqtt-out:${m.headers?.get(HEADER.msgId) || `${STREAM_EDGE}:${m.seq}`}`);
    try {
      await d.publisher.publish(`${MQTT_MSGS_PREFIX}${cmd.subject}`, cmd.payload, h);
    } catch (err) {
      d.logger.warn({ err, topic: cmd.topic }, 'actuation not stored for its device; it will be tried again');
      m.nak(1000);
      return;
    }
    const q0 = natsHeaders();
    q0.set(MQTT_QOS_HEADER, '1');
    d.nc.publish(cmd.subject, cmd.payload, { headers: q0 });
    d.stats.stats.actuations.sent++;
    m.ack();
  };
  const running: RunningConsumer[] = [];
  for (const filter of d.outbound.filters) {
    // A new consumer starts with what is published from now on: actuations older than the
    // bridge were meant for whatever delivered them then.
    const ensure = () =>
      ensureConsumer(jsm, STREAM_EDGE, {
        durable_name: actuationDurable(filter),
        filter_subject: filter,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.New,
        ack_wait: ACK_WAIT_MS * NANOS,
        max_ack_pending: d.maxAckPending,
      });
    await ensure();
    running.push(await runDurable({ nc: d.nc, stream: STREAM_EDGE, durable: actuationDurable(filter), maxMessages: 64, handle, ensure, logger: d.logger }));
  }
  return running;
}
