import { validateId } from '../shared/ids.js';
import { MqttBadPayloadError, MqttBadTopicIdError, MqttConfigError, MqttUnknownTopicError } from './errors.js';
import { compilePattern, compileTemplate, type Pattern } from './pattern.js';
import type { OutboundRoute, Source } from './routes.js';
import { compileSource, type Extractor } from './source.js';

/** An actuation turned into what the device receives. */
export interface DeviceCommand {
  /** The MQTT topic, and the same as a NATS subject. */
  topic: string;
  subject: string;
  payload: Uint8Array;
  /** The actuation's own expiry, when it has one: after it, it must not be sent. */
  expiresAt: number | undefined;
}

export interface OutboundRouter {
  /** The `ep.edge.…` filters to consume, each once (the first route matching a subject renders it). */
  readonly filters: readonly string[];
  /** Whether a device command topic (as a subject) is one of ours: it must not be read back as a reading. */
  isCommandSubject(subject: string): boolean;
  /** The device command for an actuation on `subject` with JSON `body`; throws when no route or a bad body. */
  render(subject: string, body: Uint8Array): DeviceCommand;
}

interface CompiledOutbound {
  name: string;
  pattern: Pattern;
  topic: (vars: Readonly<Record<string, string>>) => string;
  topicPattern: Pattern;
  payload: Extractor | Array<[string, Extractor]>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

const isSource = (p: unknown): p is Source => typeof p === 'string' || (typeof p === 'object' && p !== null && ('from' in p || 'const' in p));

function compileRoute(r: OutboundRoute, index: number): CompiledOutbound {
  const where = `outbound route ${index} (${String(r?.subject)})`;
  if (typeof r !== 'object' || r === null) throw new MqttConfigError(`${where}: must be an object`);
  if (typeof r.subject !== 'string' || !r.subject.startsWith('ep.edge.')) throw new MqttConfigError(`${where}: subject must be an ep.edge.… pattern`);
  const pattern = compilePattern(r.subject, '.', where);
  const topic = compileTemplate(r.topic, pattern.names, `${where} topic`);
  // The topic as a pattern over the same names, to recognise our own commands coming back.
  const topicPattern = compilePattern(r.topic, '/', `${where} topic`);
  const payload = isSource(r.payload)
    ? compileSource(r.payload, pattern.names, where, 'payload')
    : typeof r.payload === 'object' && r.payload !== null && !Array.isArray(r.payload)
      ? Object.entries(r.payload).map(([field, s]): [string, Extractor] => [field, compileSource(s, pattern.names, where, field)])
      : (() => {
          throw new MqttConfigError(`${where}: payload must be a source or an object of sources`);
        })();
  return { name: r.subject, pattern, topic, topicPattern, payload };
}

function encode(v: unknown): Uint8Array {
  return encoder.encode(typeof v === 'string' ? v : JSON.stringify(v));
}

export function compileOutbound(routes: readonly OutboundRoute[]): OutboundRouter {
  const compiled = routes.map(compileRoute);
  return {
    filters: [...new Set(compiled.map((r) => r.pattern.filter))],
    isCommandSubject(subject) {
      const tokens = subject.split('.');
      return compiled.some((r) => r.topicPattern.match(tokens) !== undefined);
    },
    render(subject, bytes) {
      const tokens = subject.split('.');
      let found: { r: CompiledOutbound; vars: Record<string, string> } | undefined;
      for (const r of compiled) {
        const vars = r.pattern.match(tokens);
        if (vars) {
          found = { r, vars };
          break;
        }
      }
      if (!found) throw new MqttUnknownTopicError(subject);
      const { r, vars } = found;
      for (const v of Object.values(vars)) {
        try {
          validateId(v);
        } catch (e) {
          throw new MqttBadTopicIdError(subject, v, e);
        }
      }
      let body: unknown;
      try {
        body = JSON.parse(decoder.decode(bytes)) as unknown;
      } catch {
        throw new MqttBadPayloadError(subject, 'the actuation is not JSON');
      }
      const ctx = { topic: subject, payload: body, vars, receivedAt: new Date().toISOString() };
      let value: unknown;
      if (Array.isArray(r.payload)) {
        const out: Record<string, unknown> = {};
        for (const [field, x] of r.payload) {
          const v = x(ctx);
          if (v !== undefined) out[field] = v;
        }
        value = out;
      } else {
        value = r.payload(ctx);
      }
      const topic = r.topic(vars);
      const expires = (body as { expiresAt?: unknown } | null)?.expiresAt;
      const expiresAt = typeof expires === 'string' && Number.isFinite(Date.parse(expires)) ? Date.parse(expires) : undefined;
      return { topic, subject: topic.split('/').join('.'), payload: encode(value), expiresAt };
    },
  };
}
