import type { JsMsg, Msg, NatsConnection, Subscription } from 'nats';
import { EdgeplaneError } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import type { Logger } from '../shared/logger.js';
import type { CommandSender } from './commandSender.js';
import { runDurable, type RunningConsumer } from './durableConsumer.js';
import type { InboundRouter, RoutedCommand } from './inbound.js';
import { BRIDGE_DURABLE, MQTT_MSGS_PREFIX, MQTT_MSGS_STREAM, MQTT_QOS_HEADER } from './natsMqtt.js';
import type { OutboundRouter } from './outbound.js';
import type { StatsKeeper } from './stats.js';

interface IntakeDeps {
  nc: NatsConnection;
  inbound: InboundRouter;
  outbound: OutboundRouter;
  sender: CommandSender;
  stats: StatsKeeper;
  logger: Logger;
}

const codeOf = (e: unknown) => (e instanceof EdgeplaneError ? e.code : 'ERR_MQTT_INTERNAL');

function routeOrDrop(d: IntakeDeps, subject: string, data: Uint8Array, receivedAt: string): RoutedCommand | undefined {
  try {
    return d.inbound.route({ subject, data, receivedAt });
  } catch (e) {
    d.stats.drop('dropped', codeOf(e), subject.split('.').join('/'), e);
    return undefined;
  }
}

/**
 * QoS 1 (and QoS 1 wills): the server stored each message in `$MQTT_msgs` before it sent the
 * PUBACK. Each becomes a command whose id is the reading's own (`dedupeBy`) or, without one,
 * this stream's identity and sequence, so a redelivery after a bridge restart is recognised; the
 * message is acknowledged only once EP_CMD has stored the command.
 */
export async function startQos1Intake(d: IntakeDeps & { maxMessages: number; ensure: () => Promise<{ createdMs: number }> }): Promise<RunningConsumer> {
  // The stream's creation time keeps ids unique if `$MQTT_msgs` is ever deleted and made again.
  let tag = (await d.ensure()).createdMs.toString(36);
  const ensure = async () => {
    tag = (await d.ensure()).createdMs.toString(36);
  };
  const handle = async (m: JsMsg) => {
    const subject = m.subject.slice(MQTT_MSGS_PREFIX.length);
    // Our own commands to devices travel through the same stream: not readings.
    if (d.inbound.filterOf(subject) === undefined && d.outbound.isCommandSubject(subject)) {
      m.ack();
      return;
    }
    d.stats.stats.received.qos1++;
    const routed = routeOrDrop(d, subject, m.data, new Date(Math.floor(m.info.timestampNanos / 1e6)).toISOString());
    if (!routed) {
      m.ack();
      return;
    }
    try {
      const ack = await d.sender.send({ ...routed, commandId: routed.commandId ?? `mqtt:${tag}:${m.seq}` });
      d.stats.stats.commands++;
      if (ack.duplicate) d.stats.stats.duplicates++;
      m.ack();
    } catch (err) {
      d.stats.stats.publishFailures++;
      d.logger.warn({ err, subject }, 'command not stored; the MQTT message will be delivered again');
      m.nak(1000);
    }
  };
  return runDurable({ nc: d.nc, stream: MQTT_MSGS_STREAM, durable: BRIDGE_DURABLE, maxMessages: d.maxMessages, handle, ensure, logger: d.logger });
}

/**
 * QoS 0 (and QoS 0 wills): at most once by the device's own choice, so a plain subscription on
 * the routes' subjects; what arrives while the bridge is down is gone. Messages marked QoS 1 are
 * left to the stored path above; messages from NATS clients (no MQTT header) are taken here.
 */
export function startQos0Intake(d: IntakeDeps): RunningConsumer {
  const inFlight = new Set<Promise<void>>();
  const onMessage = (filter: string, m: Msg) => {
    const qos = m.headers?.get(MQTT_QOS_HEADER);
    if (qos === '1' || qos === '2') return;
    // With overlapping filters one message reaches several subscriptions: the route's own takes it.
    if (d.inbound.filterOf(m.subject) !== filter) return;
    d.stats.stats.received.qos0++;
    const routed = routeOrDrop(d, m.subject, m.data, new Date().toISOString());
    if (!routed) return;
    const p = d.sender.send({ ...routed, commandId: routed.commandId ?? `mqtt:q0:${newId()}` }).then(
      (ack) => {
        d.stats.stats.commands++;
        if (ack.duplicate) d.stats.stats.duplicates++;
      },
      (err: unknown) => {
        d.stats.stats.publishFailures++;
        d.logger.warn({ err, subject: m.subject }, 'QoS 0 message lost: its command was not stored');
      },
    );
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  };
  const subs: Subscription[] = d.inbound.filters.map((filter) => d.nc.subscribe(filter, { callback: (err, m) => (err ? undefined : onMessage(filter, m)) }));
  return {
    get inFlight() {
      return inFlight.size;
    },
    async stop() {
      for (const s of subs) s.unsubscribe();
      await Promise.allSettled([...inFlight]);
    },
  };
}
