import { AckPolicy, DeliverPolicy, RetentionPolicy, StorageType, type ConsumerConfig, type JetStreamManager } from 'nats';
import { isNotFound } from '../transport/jetstreamSetup.js';

/**
 * What nats-server's MQTT listener does on the NATS side (checked against 2.9.10):
 * - a QoS 1 PUBLISH on `a/b/c` is delivered on subject `a.b.c` with header `Nmqtt-Pub: 1`, then
 *   stored in the server's own stream `$MQTT_msgs` as `$MQTT.msgs.a.b.c`, and only once that
 *   store succeeded does the server send PUBACK (a failed store closes the connection unacked);
 * - `$MQTT_msgs` has interest retention: with no consumer interested the message is not kept,
 *   so the bridge's durable consumer must exist before devices publish;
 * - QoS 0 (and a QoS 0 will) is only delivered on `a.b.c`, with `Nmqtt-Pub: 0`;
 * - neither the packet id nor the DUP flag reaches NATS: a retransmission is a second message.
 */
export const MQTT_MSGS_STREAM = '$MQTT_msgs';
export const MQTT_MSGS_PREFIX = '$MQTT.msgs.';
export const MQTT_QOS_HEADER = 'Nmqtt-Pub';
/** The bridge's durable consumer of device QoS 1 messages. */
export const BRIDGE_DURABLE = 'ep-mqtt-bridge';

const NANOS = 1_000_000;
/**
 * A message is in flight only for one EP_CMD publish (milliseconds), so a short wait is safe; it
 * is how soon what a dead leader's bridge had taken is delivered to the next one. The consumer
 * cannot be recreated instead (as partitions are): with interest retention, deleting the only
 * consumer would drop every message it had not yet acknowledged.
 */
export const ACK_WAIT_MS = 5000;

/** Creates `$MQTT_msgs` as the server itself would (if no MQTT client has connected yet) and the bridge's consumer on it. */
export async function ensureMqttIntake(jsm: JetStreamManager, opts: { replicas?: number; maxAckPending: number }): Promise<{ createdMs: number }> {
  let created: string;
  try {
    created = (await jsm.streams.info(MQTT_MSGS_STREAM)).created;
  } catch (e) {
    if (!isNotFound(e)) throw e;
    const added = await jsm.streams.add({
      name: MQTT_MSGS_STREAM,
      subjects: [`${MQTT_MSGS_PREFIX}>`],
      retention: RetentionPolicy.Interest,
      storage: StorageType.File,
      num_replicas: opts.replicas ?? 1,
    });
    created = added.created;
  }
  await ensureConsumer(jsm, MQTT_MSGS_STREAM, {
    durable_name: BRIDGE_DURABLE,
    filter_subject: `${MQTT_MSGS_PREFIX}>`,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: ACK_WAIT_MS * NANOS,
    max_ack_pending: opts.maxAckPending,
  });
  return { createdMs: Date.parse(created) };
}

/** Adds the durable, or brings an existing one to this config (recreated when its filter changed). */
export async function ensureConsumer(jsm: JetStreamManager, stream: string, cfg: Partial<ConsumerConfig> & { durable_name: string }): Promise<void> {
  try {
    const info = await jsm.consumers.info(stream, cfg.durable_name);
    if (info.config.filter_subject === cfg.filter_subject) {
      if (info.config.max_ack_pending !== cfg.max_ack_pending || info.config.ack_wait !== cfg.ack_wait) {
        await jsm.consumers.update(stream, cfg.durable_name, { max_ack_pending: cfg.max_ack_pending, ack_wait: cfg.ack_wait });
      }
      return;
    }
    await jsm.consumers.delete(stream, cfg.durable_name);
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
  await jsm.consumers.add(stream, cfg);
}
