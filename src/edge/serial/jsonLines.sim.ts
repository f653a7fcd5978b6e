import type { ChannelInfo, ChannelValue } from '../driver.js';
import { decodeRequest, encodeLine, type JsonLinesRequest } from './jsonLines.js';
import { createLineFramer } from './lineFramer.js';
import type { SerialLink } from './serialPort.js';
import { isSwitch, type ValueSource } from './simValues.js';

/**
 * A simulated JSON-lines device on the far end of a SerialLink: it reads request lines and
 * answers them as the protocol in jsonLines.ts says, so the real client and driver run against
 * it byte for byte. Faults are set on `sim.faults` and apply to the next replies.
 */
export interface JsonLinesSimOptions {
  channels: readonly ChannelInfo[];
  /** Starting values; otherwise switches start on (a simulated plug draws power), the rest at 0. */
  initial?: Record<string, ChannelValue>;
  /** Fresh sensor values at each read (see simValues.ts). */
  source?: ValueSource;
  /** What `hello` says about the device. */
  device?: Record<string, unknown>;
  now?: () => number;
}

export interface JsonLinesSimFaults {
  /** Replies to swallow (counts down). */
  dropReplies: number;
  /** Delay before each reply. */
  delayMs: number;
  /** Non-protocol lines (boot noise) to print before the next reply (counts down). */
  garbageLines: number;
  /** Write each reply in chunks of this many bytes (0: whole). */
  chunkBytes: number;
}

export interface JsonLinesSim {
  readonly values: Map<string, ChannelValue>;
  readonly faults: JsonLinesSimFaults;
  readonly stats: { requests: number; unreadable: number };
  close(): void;
}

export function startJsonLinesSim(link: SerialLink, options: JsonLinesSimOptions): JsonLinesSim {
  const now = options.now ?? Date.now;
  const channels = new Map(options.channels.map((c) => [c.name, c]));
  const values = new Map<string, ChannelValue>(options.channels.map((c) => [c.name, options.initial?.[c.name] ?? defaultValue(c)]));
  const faults: JsonLinesSimFaults = { dropReplies: 0, delayMs: 0, garbageLines: 0, chunkBytes: 0 };
  const stats = { requests: 0, unreadable: 0 };
  const framer = createLineFramer();

  const outputs = (): Map<string, ChannelValue> => new Map(options.channels.filter((c) => c.role === 'actuator').map((c) => [c.name, values.get(c.name) as ChannelValue]));

  function answer(req: JsonLinesRequest): object {
    switch (req.op) {
      case 'hello':
        return { id: req.id, ok: true, device: options.device ?? { model: 'edgeplane-sim' }, channels: options.channels };
      case 'read': {
        const t = now();
        const device = { channels: options.channels, outputs: outputs() };
        for (const c of options.channels) {
          const v = c.role === 'sensor' ? options.source?.(c, device, t) : undefined;
          if (v !== undefined) values.set(c.name, v);
        }
        return { id: req.id, ok: true, values: Object.fromEntries(values) };
      }
      case 'write': {
        const c = channels.get(req.channel);
        if (!c) return { id: req.id, ok: false, error: `unknown channel ${JSON.stringify(req.channel)}` };
        if (c.role !== 'actuator') return { id: req.id, ok: false, error: `channel ${c.name} is read-only` };
        const current = values.get(c.name);
        if (typeof req.value !== typeof current) return { id: req.id, ok: false, error: `channel ${c.name} takes a ${typeof current}` };
        values.set(c.name, req.value);
        return { id: req.id, ok: true, values: { [c.name]: req.value } };
      }
      default: {
        const never: never = req;
        return never;
      }
    }
  }

  async function send(reply: object): Promise<void> {
    if (faults.dropReplies > 0) {
      faults.dropReplies -= 1;
      return;
    }
    if (faults.delayMs > 0) await new Promise((r) => setTimeout(r, faults.delayMs));
    for (; faults.garbageLines > 0; faults.garbageLines -= 1) await link.write(Buffer.from('boot: rst cause 2, \x00\xff not json\n', 'latin1'));
    const bytes = encodeLine(reply);
    const size = faults.chunkBytes > 0 ? faults.chunkBytes : bytes.length;
    for (let at = 0; at < bytes.length; at += size) {
      await link.write(bytes.subarray(at, at + size));
      // Separate chunks on the wire, not one coalesced write.
      if (size < bytes.length) await new Promise((r) => setImmediate(r));
    }
  }

  const onData = (chunk: Uint8Array): void => {
    for (const line of framer.push(chunk)) {
      if (line.trim() === '') continue;
      const req = decodeRequest(line);
      if (!req) {
        stats.unreadable += 1;
        continue;
      }
      stats.requests += 1;
      const reply = 'error' in req ? { id: req.id, ok: false, error: req.error } : answer(req);
      // A closed link mid-reply is the host's business, not the device's.
      send(reply).catch(() => undefined);
    }
  };
  link.on('data', onData);

  return { values, faults, stats, close: () => void link.off('data', onData) };
}

function defaultValue(c: ChannelInfo): ChannelValue {
  return isSwitch(c) ? true : 0;
}
