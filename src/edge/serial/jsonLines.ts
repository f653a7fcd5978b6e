/**
 * JSON-lines device protocol, version 1: small microcontroller devices on a UART.
 *
 * Framing: UTF-8 text, one JSON object per line, each line ended by "\n" ("\r\n" accepted), at
 * most 64 KiB. Blank lines are skipped. Any other line that is not a JSON object with an integer
 * `id` and a boolean `ok` (boot banners, debug prints, line noise) is ignored by the host and
 * counted as garbage, so a chatty firmware does not break the link.
 *
 * Host → device, one request per line. `id` is a positive integer chosen by the host, unique
 * among the requests still waiting for an answer:
 *   {"id":1,"op":"hello"}
 *   {"id":2,"op":"read"}
 *   {"id":3,"op":"write","channel":"relay","value":false}
 *
 * Device → host, exactly one response per request carrying the request's `id` (possibly out of
 * order):
 *   {"id":1,"ok":true,"device":{"model":"plug-s1","firmware":"1.0.3"},
 *    "channels":[{"name":"power","role":"sensor","type":"power","unit":"W"},
 *                {"name":"relay","role":"actuator","type":"relay","unit":""}]}
 *   {"id":2,"ok":true,"values":{"power":61.5,"relay":true}}
 *   {"id":3,"ok":true,"values":{"relay":false}}
 *   {"id":4,"ok":false,"error":"unknown channel \"fan\""}
 *
 * `hello` describes the device and its channels (the fields of edgeplane's ChannelInfo).
 * `read` answers the current value of every channel; actuators report their current output.
 * `write` sets one actuator and answers the value now in force as read back by the device.
 * Values are numbers, booleans or strings. An unknown op, an unknown channel, a write to a
 * sensor or a value of the wrong type is answered `ok:false` with a human-readable `error`.
 * A response arriving after the host stopped waiting (timeout) is counted and dropped.
 */
import type { ChannelInfo, ChannelValue } from '../driver.js';
import type { Logger } from '../../shared/logger.js';
import { JsonLinesDeviceError, JsonLinesProtocolError, JsonLinesTimeoutError, SerialClosedError } from './errors.js';
import { createLineFramer } from './lineFramer.js';
import { componentLogger } from './log.js';
import type { SerialLink } from './serialPort.js';

export type JsonLinesOp = 'hello' | 'read' | 'write';

type RequestBody = { op: 'hello' } | { op: 'read' } | { op: 'write'; channel: string; value: ChannelValue };

export type JsonLinesRequest = RequestBody & { id: number };

export type JsonLinesResponse = { id: number; ok: true; [field: string]: unknown } | { id: number; ok: false; error: string };

export interface JsonLinesHello {
  device: Record<string, unknown>;
  channels: ChannelInfo[];
}

export interface JsonLinesStats {
  sent: number;
  answered: number;
  garbage: number;
  /** Well-formed responses whose id nobody waits for (late answers after a timeout). */
  unmatched: number;
  timeouts: number;
}

export interface JsonLinesClient {
  hello(): Promise<JsonLinesHello>;
  read(): Promise<Record<string, ChannelValue>>;
  /** Returns the `values` the device answers (the channel's value now in force). */
  write(channel: string, value: ChannelValue): Promise<Record<string, ChannelValue>>;
  readonly stats: Readonly<JsonLinesStats>;
  /** Stops listening and fails what is still waiting; the link stays open. */
  close(): void;
}

export interface JsonLinesClientOptions {
  timeoutMs?: number;
  logger?: Logger;
}

interface Waiting {
  op: JsonLinesOp;
  resolve: (r: JsonLinesResponse & { ok: true }) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

const MAX_ID = 0x7fffffff;

export function createJsonLinesClient(link: SerialLink, opts: JsonLinesClientOptions = {}): JsonLinesClient {
  const timeoutMs = opts.timeoutMs ?? 1000;
  const log = componentLogger('jsonlines', { link: link.name }, opts.logger);
  const framer = createLineFramer();
  const waiting = new Map<number, Waiting>();
  const stats: JsonLinesStats = { sent: 0, answered: 0, garbage: 0, unmatched: 0, timeouts: 0 };
  let nextId = 1;
  let closed = false;

  const onData = (chunk: Uint8Array): void => {
    for (const line of framer.push(chunk)) onLine(line);
  };
  const onClose = (): void => failAll(new SerialClosedError(link.name));
  link.on('data', onData);
  link.on('close', onClose);

  function onLine(line: string): void {
    if (line.trim() === '') return;
    const response = decodeResponse(line);
    if (!response) {
      stats.garbage += 1;
      log.debug({ line: line.slice(0, 200) }, 'ignored a line that is not a response');
      return;
    }
    const w = waiting.get(response.id);
    if (!w) {
      stats.unmatched += 1;
      log.debug({ id: response.id }, 'ignored a response nobody waits for');
      return;
    }
    waiting.delete(response.id);
    clearTimeout(w.timer);
    stats.answered += 1;
    if (response.ok) w.resolve(response);
    else w.reject(new JsonLinesDeviceError(w.op, response.id, response.error));
  }

  function failAll(err: Error): void {
    for (const w of waiting.values()) {
      clearTimeout(w.timer);
      w.reject(err);
    }
    waiting.clear();
  }

  function request(req: RequestBody): Promise<JsonLinesResponse & { ok: true }> {
    if (closed || !link.isOpen) return Promise.reject(new SerialClosedError(link.name));
    const id = nextId;
    nextId = nextId >= MAX_ID ? 1 : nextId + 1;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiting.delete(id);
        stats.timeouts += 1;
        reject(new JsonLinesTimeoutError(req.op, id, timeoutMs));
      }, timeoutMs);
      waiting.set(id, { op: req.op, resolve, reject, timer });
      stats.sent += 1;
      link.write(encodeLine({ id, ...req })).catch((e: unknown) => {
        if (!waiting.delete(id)) return;
        clearTimeout(timer);
        reject(e);
      });
    });
  }

  return {
    stats,
    async hello() {
      const r = await request({ op: 'hello' });
      return helloOf(r);
    },
    async read() {
      return valuesOf('read', await request({ op: 'read' }));
    },
    async write(channel, value) {
      return valuesOf('write', await request({ op: 'write', channel, value }));
    },
    close() {
      if (closed) return;
      closed = true;
      link.off('data', onData);
      link.off('close', onClose);
      failAll(new SerialClosedError(link.name));
    },
  };
}

export function encodeLine(message: object): Uint8Array {
  return Buffer.from(`${JSON.stringify(message)}\n`, 'utf8');
}

/** A response line, or undefined when the line is garbage. */
export function decodeResponse(line: string): JsonLinesResponse | undefined {
  const m = parseObject(line);
  if (!m || !Number.isSafeInteger(m.id) || typeof m.ok !== 'boolean') return undefined;
  if (m.ok === false) return { id: m.id as number, ok: false, error: typeof m.error === 'string' ? m.error : 'unspecified error' };
  return m as JsonLinesResponse;
}

/** A request line as a device reads it: the request, `{ id, error }` for a bad one with an id, or undefined. */
export function decodeRequest(line: string): JsonLinesRequest | { id: number; error: string } | undefined {
  const m = parseObject(line);
  if (!m || !Number.isSafeInteger(m.id)) return undefined;
  const id = m.id as number;
  if (m.op === 'hello' || m.op === 'read') return { id, op: m.op };
  if (m.op !== 'write') return { id, error: `unknown op ${JSON.stringify(m.op)}` };
  if (typeof m.channel !== 'string') return { id, error: 'write needs a string "channel"' };
  if (!isChannelValue(m.value)) return { id, error: 'write needs a number, boolean or string "value"' };
  return { id, op: 'write', channel: m.channel, value: m.value };
}

export function isChannelValue(v: unknown): v is ChannelValue {
  return (typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean' || typeof v === 'string';
}

function parseObject(line: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(line);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function valuesOf(op: JsonLinesOp, r: Record<string, unknown>): Record<string, ChannelValue> {
  const values = r.values;
  if (typeof values !== 'object' || values === null || Array.isArray(values)) throw new JsonLinesProtocolError(op, '"values" must be an object');
  const out: Record<string, ChannelValue> = {};
  for (const [name, v] of Object.entries(values)) {
    if (!isChannelValue(v)) throw new JsonLinesProtocolError(op, `value of ${name} is not a number, boolean or string`);
    out[name] = v;
  }
  return out;
}

function helloOf(r: Record<string, unknown>): JsonLinesHello {
  const device = typeof r.device === 'object' && r.device !== null && !Array.isArray(r.device) ? (r.device as Record<string, unknown>) : {};
  if (!Array.isArray(r.channels)) throw new JsonLinesProtocolError('hello', '"channels" must be an array');
  const channels = r.channels.map((c: unknown, i): ChannelInfo => {
    const ch = (typeof c === 'object' && c !== null ? c : {}) as Record<string, unknown>;
    const { name, role, type, unit } = ch;
    if (typeof name !== 'string' || name === '' || (role !== 'sensor' && role !== 'actuator') || typeof type !== 'string' || typeof unit !== 'string') {
      throw new JsonLinesProtocolError('hello', `channels[${i}] needs name, role (sensor|actuator), type and unit`);
    }
    return { name, role, type, unit };
  });
  const names = new Set(channels.map((c) => c.name));
  if (names.size !== channels.length) throw new JsonLinesProtocolError('hello', 'channel names repeat');
  return { device, channels };
}
