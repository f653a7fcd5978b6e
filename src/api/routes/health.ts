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
        '# HELP edgeplane_commands_total Commands handed to actors.',
        '# TYPE edgeplane_commands_total counter',
        `edgeplane_commands_total ${m.commands}`,
        '# HELP edgeplane_rejections_total Commands refused by a decider.',
        '# TYPE edgeplane_rejections_total counter',
        `edgeplane_rejections_total ${m.rejections}`,
        '# HELP edgeplane_events_appended_total Events stored.',
        '# TYPE edgeplane_events_appended_total counter',
        `edgeplane_events_appended_total ${m.eventsAppended}`,
        '# HELP edgeplane_append_seconds Time actors waited for their appends (group commit included).',
        '# TYPE edgeplane_append_seconds summary',
        `edgeplane_append_seconds_sum ${m.appendSeconds}`,
        `edgeplane_append_seconds_count ${m.appends}`,
        '# HELP edgeplane_head_position Global position of the newest stored event.',
        '# TYPE edgeplane_head_position gauge',
        `edgeplane_head_position ${head}`,
        '# HELP edgeplane_projection_lag_events Events stored but not yet in every read model.',
        '# TYPE edgeplane_projection_lag_events gauge',
        `edgeplane_projection_lag_events ${Math.max(0, head - minProjected)}`,
        '# HELP edgeplane_relay_lag_events Events stored but not yet acknowledged on ep.evt.',
        '# TYPE edgeplane_relay_lag_events gauge',
        `edgeplane_relay_lag_events ${deps.relay ? Math.max(0, head - deps.relay.position) : 0}`,
        '# HELP edgeplane_interaction_latency_ms Reading to confirmed actuation, last 1,000 firings.',
        '# TYPE edgeplane_interaction_latency_ms summary',
        `edgeplane_interaction_latency_ms{quantile="0.5"} ${q(0.5)}`,
        `edgeplane_interaction_latency_ms{quantile="0.99"} ${q(0.99)}`,
        `edgeplane_interaction_latency_ms_count ${latencies.length}`,
        ...mqttLines(deps.mqtt?.()),
      ];
      return reply.type('text/plain; version=0.0.4').send(`${lines.join('\n')}\n`);
    });
  };
}

/** The MQTT bridge's counters, when this process runs it (none otherwise, so a scrape sums the leader's). */
function mqttLines(s: MqttBridgeStats | undefined): string[] {
  if (!s) return [];
  const byCode = (name: string, counts: Record<string, number>) => Object.entries(counts).map(([code, n]) => `${name}{code="${code}"} ${n}`);
  return [
    '# HELP edgeplane_mqtt_received_total Device messages the bridge took, by MQTT QoS.',
    '# TYPE edgeplane_mqtt_received_total counter',
    `edgeplane_mqtt_received_total{qos="0"} ${s.received.qos0}`,
    `edgeplane_mqtt_received_total{qos="1"} ${s.received.qos1}`,
    '# HELP edgeplane_mqtt_commands_total Commands the bridge stored in JetStream (duplicates included).',
    '# TYPE edgeplane_mqtt_commands_total counter',
    `edgeplane_mqtt_commands_total ${s.commands}`,
    '# HELP edgeplane_mqtt_duplicates_total Stored commands JetStream recognised as repeats (a redelivery, a retransmitted reading).',
    '# TYPE edgeplane_mqtt_duplicates_total counter',
    `edgeplane_mqtt_duplicates_total ${s.duplicates}`,
    '# HELP edgeplane_mqtt_dropped_total Device messages dropped before becoming a command, by error code.',
    '# TYPE edgeplane_mqtt_dropped_total counter',
    ...byCode('edgeplane_mqtt_dropped_total', s.dropped),
    '# HELP edgeplane_mqtt_rejected_total Bridge commands the actors refused, by error code.',
    '# TYPE edgeplane_mqtt_rejected_total counter',
    ...byCode('edgeplane_mqtt_rejected_total', s.rejected),
    '# HELP edgeplane_mqtt_publish_failures_total Commands JetStream did not take (the message is delivered again).',
    '# TYPE edgeplane_mqtt_publish_failures_total counter',
    `edgeplane_mqtt_publish_failures_total ${s.publishFailures}`,
    '# HELP edgeplane_mqtt_actuations_total Actuations published to devices, and those refused as expired.',
    '# TYPE edgeplane_mqtt_actuations_total counter',
    `edgeplane_mqtt_actuations_total{outcome="sent"} ${s.actuations.sent}`,
    `edgeplane_mqtt_actuations_total{outcome="expired"} ${s.actuations.expired}`,
    '# HELP edgeplane_mqtt_actuations_dropped_total Actuations not sent to their device, by error code.',
    '# TYPE edgeplane_mqtt_actuations_dropped_total counter',
    ...byCode('edgeplane_mqtt_actuations_dropped_total', s.actuations.dropped),
    '# HELP edgeplane_mqtt_in_flight Device messages taken but not yet acknowledged.',
    '# TYPE edgeplane_mqtt_in_flight gauge',
    `edgeplane_mqtt_in_flight ${s.inFlight}`,
  ];
}
