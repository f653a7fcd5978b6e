/**
 * The route table: which MQTT topics become which commands, and which actuations go out to which
 * topics. Plain JSON-able data (a site adds its own in a file, no code): the Paddy seed's "write
 * the routing once", without reflection.
 *
 * A *source* says where a value comes from:
 * - `"$"` the whole payload (JSON when it parses as JSON, else its text: `512.3`, `online`);
 * - `"$.a.b"` a field of a JSON payload;
 * - `"{name}"` a level of the topic captured by the route's pattern;
 * - `"@received"` when the broker received the message (ISO time);
 * - `{ "from": <one of those, or a list tried in order>, "type"?, "optional"?, "map"? }`;
 * - `{ "const": <any JSON value> }`.
 */
export type ValueType = 'number' | 'boolean' | 'string' | 'time' | 'value' | 'any';

export type SourceRef = string;

export interface SourceSpec {
  from: SourceRef | SourceRef[];
  /** `time` takes ISO-8601 with a zone or epoch seconds/milliseconds and gives ISO; `value` is a sensor value. */
  type?: ValueType;
  /** Leave the field out when no alternative gives a value (otherwise: a bad payload). */
  optional?: boolean;
  /** Translates the value (its text) through this table; a value not in it is a bad payload. */
  map?: Record<string, unknown>;
}

export type Source = SourceRef | SourceSpec | { const: unknown };

export interface InboundRoute {
  /** An MQTT topic pattern; `{name}` matches one whole level, e.g. `daemons/{id}/power`. */
  topic: string;
  /** The actor kind the command goes to. */
  kind: string;
  /** The actor id, a template over the topic's names, e.g. `{id}` or `{node}-{device}`. */
  id: string;
  /** The command type, or a source whose value (through `map`) chooses it. */
  command: string | SourceSpec;
  /** The command's data fields. */
  data: Record<string, Source>;
  /**
   * A payload value that names the reading (its `at`): when present, the command id derives from
   * it, so a retransmission of the same reading appends nothing. Without it, only redelivery of
   * the one stored message is recognised.
   */
  dedupeBy?: Source;
  /** Bigger payloads are dropped and counted (default 8 KiB). */
  maxBytes?: number;
}

export interface OutboundRoute {
  /** An `ep.edge.…` subject pattern, e.g. `ep.edge.daemon.{id}.power`. */
  subject: string;
  /** The device's command topic, a template over the subject's names, e.g. `daemons/{id}/set`. */
  topic: string;
  /** What the device receives: one source (a bare value) or an object of sources over the actuation's body. */
  payload: Source | Record<string, Source>;
}

export interface RouteTable {
  inbound: InboundRoute[];
  outbound: OutboundRoute[];
}

const at = { from: ['$.at', '@received'], type: 'time' } as const satisfies SourceSpec;
const status = { from: ['$.status', '$'], type: 'string', map: { online: 'MarkOnline', offline: 'MarkOffline' } } as const satisfies SourceSpec;
const statusData = { at: '@received', reason: { const: 'MQTT status offline (will or the device itself)' } } as const;
const sensorValue = { from: ['$.value', '$'], type: 'value' } as const satisfies SourceSpec;

/**
 * Paddy plugs and ECP nodes. A single-device ECP node's channel is the sensor actor with the
 * node's id; a node with several devices publishes per device, whose sensor actor is
 * `<node>-<device>` (the hardware description's device id).
 */
export const defaultRoutes: RouteTable = {
  inbound: [
    { topic: 'daemons/{id}/power', kind: 'daemon', id: '{id}', command: 'RecordPower', data: { watts: { from: ['$.watts', '$'], type: 'number' }, at }, dedupeBy: '$.at' },
    { topic: 'daemons/{id}/state', kind: 'daemon', id: '{id}', command: 'ConfirmPower', data: { on: { from: ['$.on', '$'], type: 'boolean' }, at }, dedupeBy: '$.at' },
    { topic: 'daemons/{id}/status', kind: 'daemon', id: '{id}', command: status, data: statusData },
    { topic: 'nodes/{id}/status', kind: 'node', id: '{id}', command: status, data: statusData },
    { topic: 'nodes/{id}/value', kind: 'sensor', id: '{id}', command: 'RecordReading', data: { value: sensorValue, at }, dedupeBy: '$.at' },
    { topic: 'nodes/{id}/state', kind: 'sensor', id: '{id}', command: 'ReportValue', data: { value: sensorValue, at }, dedupeBy: '$.at' },
    { topic: 'nodes/{node}/{device}/value', kind: 'sensor', id: '{node}-{device}', command: 'RecordReading', data: { value: sensorValue, at }, dedupeBy: '$.at' },
    { topic: 'nodes/{node}/{device}/state', kind: 'sensor', id: '{node}-{device}', command: 'ReportValue', data: { value: sensorValue, at }, dedupeBy: '$.at' },
  ],
  outbound: [
    { subject: 'ep.edge.daemon.{id}.power', topic: 'daemons/{id}/set', payload: { on: '$.on', requestId: '$.requestId', expiresAt: '$.expiresAt' } },
    { subject: 'ep.edge.node.{id}.set', topic: 'nodes/{id}/set', payload: { sensor: '$.sensor', value: '$.value', requestId: '$.requestId', expiresAt: '$.expiresAt' } },
  ],
};
