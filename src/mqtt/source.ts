import { MqttBadPayloadError, MqttConfigError } from './errors.js';
import type { Source, SourceSpec, ValueType } from './routes.js';

/** What a source reads from: the parsed payload, the topic's captured names, when it arrived. */
export interface SourceContext {
  topic: string;
  payload: unknown;
  vars: Readonly<Record<string, string>>;
  receivedAt: string;
}

/** A compiled source: the value, or undefined when it is optional and absent; throws MqttBadPayloadError. */
export type Extractor = (ctx: SourceContext) => unknown;

const TYPES: readonly ValueType[] = ['number', 'boolean', 'string', 'time', 'value', 'any'];
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
const TRUE = new Set(['true', 'on', '1', 'yes']);
const FALSE = new Set(['false', 'off', '0', 'no']);
const MAX_STRING = 256;
/** Epoch numbers below this are seconds (year 5138), above milliseconds. */
const SECONDS_LIMIT = 1e11;

/** `"$"`, `"$.a.b"`, `"{name}"` or `"@received"`, checked once when the table loads. */
function compileRef(ref: string, names: ReadonlySet<string>, where: string): Extractor {
  if (ref === '$') return (c) => c.payload;
  if (ref === '@received') return (c) => c.receivedAt;
  if (ref.startsWith('$.')) {
    const path = ref.slice(2).split('.');
    if (path.some((p) => p.length === 0)) throw new MqttConfigError(`${where}: bad payload path ${JSON.stringify(ref)}`);
    return (c) => {
      let v: unknown = c.payload;
      for (const p of path) {
        if (typeof v !== 'object' || v === null || Array.isArray(v) || !Object.hasOwn(v, p)) return undefined;
        v = (v as Record<string, unknown>)[p];
      }
      return v;
    };
  }
  const name = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(ref)?.[1];
  if (name !== undefined) {
    if (!names.has(name)) throw new MqttConfigError(`${where}: ${ref} is not a name the pattern captures (${[...names].join(', ') || 'none'})`);
    return (c) => c.vars[name];
  }
  throw new MqttConfigError(`${where}: a source is "$", "$.field", "{name}" or "@received" (got ${JSON.stringify(ref)})`);
}

function toTime(v: unknown): string | undefined {
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return new Date(v < SECONDS_LIMIT ? v * 1000 : v).toISOString();
  if (typeof v === 'string' && ISO_TIME.test(v) && Number.isFinite(Date.parse(v))) return new Date(Date.parse(v)).toISOString();
  return undefined;
}

function toNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

function toBoolean(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (v === 1 || v === 0) return v === 1;
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase();
    if (TRUE.has(s)) return true;
    if (FALSE.has(s)) return false;
  }
  return undefined;
}

/** The value as the type wants it, or undefined when it cannot be. */
export function coerce(v: unknown, type: ValueType): unknown {
  switch (type) {
    case 'number':
      return toNumber(v);
    case 'boolean':
      return toBoolean(v);
    case 'string':
      return typeof v === 'string' && v.length <= MAX_STRING ? v : undefined;
    case 'time':
      return toTime(v);
    case 'value':
      return typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v)) || (typeof v === 'string' && v.length <= MAX_STRING) ? v : undefined;
    case 'any':
      return v;
    default: {
      const never: never = type;
      return never;
    }
  }
}

const show = (v: unknown): string => {
  const s = v === undefined ? 'nothing' : (JSON.stringify(v) ?? String(v));
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
};

function lookup(map: Readonly<Record<string, unknown>>, v: unknown): unknown {
  const key = typeof v === 'string' ? v.trim() : JSON.stringify(v);
  if (key !== undefined && Object.hasOwn(map, key)) return map[key];
  const lower = key?.toLowerCase();
  return lower !== undefined && Object.hasOwn(map, lower) ? map[lower] : undefined;
}

/** Compiles a source once (bad tables fail here, at load); `field` names it in errors. */
export function compileSource(source: Source, names: ReadonlySet<string>, where: string, field: string): Extractor {
  if (typeof source === 'string') return compileRef(source, names, `${where} ${field}`);
  if (typeof source !== 'object' || source === null || Array.isArray(source)) throw new MqttConfigError(`${where} ${field}: a source is a string or an object`);
  if ('const' in source) {
    const value = source.const;
    return () => value;
  }
  const spec = source as SourceSpec;
  const refs = Array.isArray(spec.from) ? spec.from : [spec.from];
  if (refs.length === 0 || refs.some((r) => typeof r !== 'string')) throw new MqttConfigError(`${where} ${field}: "from" is a source or a list of them`);
  const type = spec.type ?? 'any';
  if (!TYPES.includes(type)) throw new MqttConfigError(`${where} ${field}: type must be one of ${TYPES.join(', ')} (got ${JSON.stringify(type)})`);
  if (spec.map !== undefined && (typeof spec.map !== 'object' || spec.map === null || Array.isArray(spec.map))) throw new MqttConfigError(`${where} ${field}: map must be an object`);
  const extractors = refs.map((r) => compileRef(r, names, `${where} ${field}`));
  const map = spec.map;
  const optional = spec.optional === true;
  return (c) => {
    let raw: unknown;
    for (const x of extractors) {
      raw = x(c);
      if (raw !== undefined) break;
    }
    if (raw === undefined) {
      if (optional) return undefined;
      throw new MqttBadPayloadError(c.topic, `${field} is missing`, { field });
    }
    const mapped = map ? lookup(map, raw) : raw;
    if (mapped === undefined) throw new MqttBadPayloadError(c.topic, `${field}: ${show(raw)} is not one of ${Object.keys(map ?? {}).join(', ')}`, { field });
    const value = coerce(mapped, type);
    if (value === undefined) throw new MqttBadPayloadError(c.topic, `${field} must be a ${type} (got ${show(mapped)})`, { field });
    return value;
  };
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** The payload as JSON when it parses, else its trimmed text; throws on bytes that are not UTF-8. */
export function parsePayload(topic: string, bytes: Uint8Array): unknown {
  let text: string;
  try {
    text = decoder.decode(bytes).trim();
  } catch {
    throw new MqttBadPayloadError(topic, 'payload is not UTF-8 text');
  }
  if (text.length === 0) throw new MqttBadPayloadError(topic, 'payload is empty');
  const first = text.charCodeAt(0);
  // Only what could be JSON is parsed as JSON: `online` stays text, `512.3` and `{…}` do not.
  if (first === 0x7b || first === 0x5b || first === 0x22 || first === 0x2d || (first >= 0x30 && first <= 0x39) || text === 'true' || text === 'false' || text === 'null') {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      if (first === 0x7b || first === 0x5b) throw new MqttBadPayloadError(topic, 'payload starts like JSON but is not JSON');
    }
  }
  return text;
}
