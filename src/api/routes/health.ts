import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { builtinProjections } from '../../projections/index.js';
import type { MqttBridgeStats } from '../../mqtt/stats.js';
import type { ApiDeps } from '../deps.js';

const PROJECTIONS = builtinProjections.map((p) => p.name);

/** Projections this far behind the store (events) still count as caught up. */
const READY_LAG = 1000;

/** `/healthz` (the process answers), `/readyz` (it can do its job), `/metrics` (Prometheus text). */
export function healthRoutes(deps: ApiDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get('/healthz', { schema: { hide: true } }, async () => ({ ok: true }));

    app.get('/readyz', {
      schema: { response: { 200: Type.Object({ ready: Type.Boolean(), checks: Type.Record(Type.String(), Type.Unknown()) }), 503: Type.Object({ ready: Type.Boolean(), checks: Type.Record(Type.String(), Type.Unknown()) }) } },
    }, async (_req, reply) => {
      const checks: Record<string, unknown> = {};
      let head = -1;
      try {
        head = await deps.store.headPosition();
        checks.store = { ok: true, head };
      } catch (err) {
        checks.store = { ok: false, error: (err as Error).message };
      }
      checks.nats = { ok: deps.nats ? !deps.nats.isClosed() && !deps.nats.isDraining() : true };
      const projected = deps.projections.position;
      const lag = head < 0 ? null : head - Math.min(...PROJECTIONS.map((n) => projected(n)));
      checks.projections = { ok: lag !== null && lag <= READY_LAG, lag };
      const ready = Object.values(checks).every((c) => (c as { ok: boolean }).ok);
      return reply.code(ready ? 200 : 503).send({ ready, checks });
    });

    app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
      const m = deps.host.metrics;
      const head = await deps.store.headPosition();
      const projected = deps.projections.position;
      const minProjected = Math.min(...PROJECTIONS.map((n) => projected(n)));
      const latencies = (() => {
        try {
          return (deps.readModels.prepare('SELECT latency_ms FROM interaction_firings ORDER BY reading_at DESC LIMIT 1000').pluck().all() as number[]).sort((a, b) => a - b);
        } catch {
          return [];
        }
      })();
      const q = (p: number) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]! : Number.NaN);
      const lines = [
        ...series('edgeplane_commands_total', 'counter', 'Commands handed to actors.', [['', m.commands]]),
        ...series('edgeplane_rejections_total', 'counter', 'Commands refused by a decider.', [['', m.rejections]]),
        ...series('edgeplane_events_appended_total', 'counter', 'Events stored.', [['', m.eventsAppended]]),
        ...series('edgeplane_append_seconds', 'summary', 'Time actors waited for their appends (group commit included).', [
          ['_sum', m.appendSeconds],
          ['_count', m.appends],
        ]),
        ...series('edgeplane_head_position', 'gauge', 'Global position of the newest stored event.', [['', head]]),
        ...series('edgeplane_projection_lag_events', 'gauge', 'Events stored but not yet in every read model.', [['', Math.max(0, head - minProjected)]]),
        ...series('edgeplane_relay_lag_events', 'gauge', 'Events stored but not yet acknowledged on ep.evt.', [['', deps.relay ? Math.max(0, head - deps.relay.position) : 0]]),
        ...series('edgeplane_interaction_latency_ms', 'summary', 'Reading to confirmed actuation, last 1,000 firings.', [
          ['{quantile="0.5"}', q(0.5)],
          ['{quantile="0.99"}', q(0.99)],
          ['_count', latencies.length],
        ]),
        ...mqttLines(deps.mqtt?.()),
      ];
      return reply.type('text/plain; version=0.0.4').send(`${lines.join('\n')}\n`);
    });
  };
}

/** One series in Prometheus text: its HELP and TYPE, then a sample per `[suffix or {labels}, value]`. */
function series(name: string, type: 'counter' | 'gauge' | 'summary', help: string, samples: ReadonlyArray<readonly [string, number]>): string[] {
  return [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...samples.map(([suffix, value]) => `${name}${suffix} ${value}`)];
}

const byCode = (counts: Record<string, number>): Array<[string, number]> => Object.entries(counts).map(([code, n]) => [`{code="${code}"}`, n]);

/** The MQTT bridge's counters, when this process runs it (none otherwise, so a scrape sums the leader's). */
function mqttLines(s: MqttBridgeStats | undefined): string[] {
  if (!s) return [];
  return [
    ...series('edgeplane_mqtt_received_total', 'counter', 'Device messages the bridge took, by MQTT QoS.', [
      ['{qos="0"}', s.received.qos0],
      ['{qos="1"}', s.received.qos1],
    ]),
    ...series('edgeplane_mqtt_commands_total', 'counter', 'Commands the bridge stored in JetStream (duplicates included).', [['', s.commands]]),
    ...series('edgeplane_mqtt_duplicates_total', 'counter', 'Stored commands JetStream recognised as repeats (a redelivery, a retransmitted reading).', [['', s.duplicates]]),
    ...series('edgeplane_mqtt_dropped_total', 'counter', 'Device messages dropped before becoming a command, by error code.', byCode(s.dropped)),
    ...series('edgeplane_mqtt_rejected_total', 'counter', 'Bridge commands the actors refused, by error code.', byCode(s.rejected)),
    ...series('edgeplane_mqtt_publish_failures_total', 'counter', 'Commands JetStream did not take (the message is delivered again).', [['', s.publishFailures]]),
    ...series('edgeplane_mqtt_actuations_total', 'counter', 'Actuations published to devices, and those refused as expired.', [
      ['{outcome="sent"}', s.actuations.sent],
      ['{outcome="expired"}', s.actuations.expired],
    ]),
    ...series('edgeplane_mqtt_actuations_dropped_total', 'counter', 'Actuations not sent to their device, by error code.', byCode(s.actuations.dropped)),
    ...series('edgeplane_mqtt_in_flight', 'gauge', 'Device messages taken but not yet acknowledged.', [['', s.inFlight]]),
  ];
}
