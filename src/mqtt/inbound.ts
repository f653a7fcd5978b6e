import { createHash } from 'node:crypto';
import { validateId, validateKind } from '../shared/ids.js';
import { validateTypeName } from '../transport/subjects.js';
import { MqttBadPayloadError, MqttBadTopicIdError, MqttConfigError, MqttPayloadTooLargeError, MqttUnknownTopicError } from './errors.js';
import { compilePattern, compileTemplate, type Pattern } from './pattern.js';
import type { InboundRoute } from './routes.js';
import { compileSource, parsePayload, type Extractor, type SourceContext } from './source.js';

export const DEFAULT_MAX_PAYLOAD_BYTES = 8 * 1024;

/** A device's message as the bridge sees it: NATS subject (`a.b.c` for topic `a/b/c`), bytes, arrival. */
export interface DeviceMessage {
  subject: string;
  data: Uint8Array;
  /** When the broker received it (ISO): the JetStream timestamp, or the bridge's clock for QoS 0. */
  receivedAt: string;
}

/** A command for one actor. `id` is set when the payload named the reading (`dedupeBy`). */
export interface RoutedCommand {
  route: string;
  kind: string;
  id: string;
  type: string;
  data: Record<string, unknown>;
  commandId?: string;
}

interface CompiledRoute {
  name: string;
  pattern: Pattern;
  kind: string;
  id: (vars: Readonly<Record<string, string>>) => string;
  type: (c: SourceContext) => string;
  data: Array<[string, Extractor]>;
  dedupeBy?: Extractor;
  maxBytes: number;
}

export interface InboundRouter {
  /** The NATS subject filters of every route (for a QoS 0 subscription). */
  readonly filters: readonly string[];
  /** The filter of the first route whose pattern matches the subject (the route that handles it). */
  filterOf(subject: string): string | undefined;
  /** The command a device message means; throws one of the MQTT errors (never anything that reaches the store). */
  route(msg: DeviceMessage): RoutedCommand;
}

const ID_SAFE = /^[A-Za-z0-9_\-:@]+$/;

/** `mqtt:<kind>:<id>:<type>:<key>`, or its hash when too long or not id-shaped. */
export function dedupeCommandId(kind: string, id: string, type: string, key: unknown): string {
  const k = typeof key === 'string' ? key : JSON.stringify(key);
  const readable = `mqtt:${kind}:${id}:${type}:${k}`;
  if (readable.length <= 128 && ID_SAFE.test(readable)) return readable;
  return `mqtt:h:${createHash('sha1').update(readable).digest('hex')}`;
}

function compileRoute(r: InboundRoute, index: number): CompiledRoute {
  const where = `inbound route ${index} (${String(r?.topic)})`;
  if (typeof r !== 'object' || r === null) throw new MqttConfigError(`${where}: must be an object`);
  const pattern = compilePattern(r.topic, '/', where);
  let kind: string;
  try {
    kind = validateKind(r.kind);
  } catch (e) {
    throw new MqttConfigError(`${where}: kind ${JSON.stringify(r.kind)} is not an actor kind`, {}, e);
  }
  const id = compileTemplate(r.id, pattern.names, `${where} id`);
  let type: CompiledRoute['type'];
  if (typeof r.command === 'string') {
    let fixed: string;
    try {
      fixed = validateTypeName(r.command, `${where} command`);
    } catch (e) {
      throw new MqttConfigError(`${where}: command ${JSON.stringify(r.command)} is not a command type`, {}, e);
    }
    type = () => fixed;
  } else {
    const x = compileSource(r.command, pattern.names, where, 'command');
    type = (c) => {
      const t = x(c);
      try {
        return validateTypeName(t);
      } catch {
        throw new MqttBadPayloadError(c.topic, `it chose ${JSON.stringify(t)}, which is not a command type`);
      }
    };
  }
  if (typeof r.data !== 'object' || r.data === null || Array.isArray(r.data)) throw new MqttConfigError(`${where}: data must be an object of sources`);
  const data = Object.entries(r.data).map(([field, s]): [string, Extractor] => [field, compileSource(s, pattern.names, where, field)]);
  const maxBytes = r.maxBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
  if (!Number.isInteger(maxBytes) || maxBytes < 1) throw new MqttConfigError(`${where}: maxBytes must be a positive integer`);
  const dedupeBy = r.dedupeBy === undefined ? undefined : compileSource(r.dedupeBy, pattern.names, where, 'dedupeBy');
  return { name: r.topic, pattern, kind, id, type, data, maxBytes, ...(dedupeBy ? { dedupeBy } : {}) };
}

/** Compiles the inbound routes; a bad table fails here, naming the route. First match wins. */
export function compileInbound(routes: readonly InboundRoute[]): InboundRouter {
  const compiled = routes.map(compileRoute);
  const find = (tokens: string[]) => {
    for (const r of compiled) {
      const vars = r.pattern.match(tokens);
      if (vars) return { r, vars };
    }
    return undefined;
  };
  return {
    filters: [...new Set(compiled.map((r) => r.pattern.filter))],
    filterOf: (subject) => find(subject.split('.'))?.r.pattern.filter,
    route(msg) {
      const tokens = msg.subject.split('.');
      const topic = tokens.join('/');
      const found = find(tokens);
      if (!found) throw new MqttUnknownTopicError(topic);
      const { r, vars } = found;
      if (msg.data.length > r.maxBytes) throw new MqttPayloadTooLargeError(topic, msg.data.length, r.maxBytes);
      let id: string;
      try {
        id = validateId(r.id(vars));
      } catch (e) {
        throw new MqttBadTopicIdError(topic, r.id(vars), e);
      }
      const ctx: SourceContext = { topic, payload: parsePayload(topic, msg.data), vars, receivedAt: msg.receivedAt };
      const type = r.type(ctx);
      const data: Record<string, unknown> = {};
      for (const [field, x] of r.data) {
        const v = x(ctx);
        if (v !== undefined) data[field] = v;
      }
      const key = r.dedupeBy?.(ctx);
      return { route: r.name, kind: r.kind, id, type, data, ...(key !== undefined ? { commandId: dedupeCommandId(r.kind, id, type, key) } : {}) };
    },
  };
}
