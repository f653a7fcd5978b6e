import { parseGattOptions, type ParsedGattOptions } from './ble.options.js';
import { gattCodec } from './gattFormat.js';
import { SimPeripheral, type SimServiceSpec } from './simulatedPeripheral.js';

/**
 * Simulated GATT devices built from the same options the `gatt` driver takes, so a `--simulate`
 * run shows plausible, changing values: each sensor drifts slowly around a level typical of its
 * type, with a little noise, and notifies while subscribed; each actuator stores what it is
 * written and reads it back.
 */

const TYPICAL: Record<string, { base: number; swing: number }> = {
  temperature: { base: 21, swing: 2 },
  humidity: { base: 45, swing: 8 },
  pressure: { base: 1013, swing: 4 },
  voltage: { base: 3.3, swing: 0.1 },
  current: { base: 0.5, swing: 0.2 },
  power: { base: 40, swing: 15 },
  co2: { base: 600, swing: 150 },
  illuminance: { base: 300, swing: 150 },
  battery: { base: 90, swing: 5 },
};

type Channel = ParsedGattOptions['characteristics'][number];

export interface SimulatedValueOptions {
  /** One slow swing takes this long. Default 60 s. */
  periodMs?: number;
  /** Noise source in [0, 1); tests pass a seeded one. */
  random?: () => number;
  now?: () => number;
}

/** A value source for one sensor channel, encoded in its format and scale. */
export function valueSource(ch: Channel, opts: SimulatedValueOptions = {}): () => Buffer {
  const codec = gattCodec(ch.name, ch.format, ch.scale);
  const random = opts.random ?? Math.random;
  const now = opts.now ?? Date.now;
  const periodMs = opts.periodMs ?? 60_000;
  if (ch.format === 'utf8') return () => codec.encode('ok');
  const t = TYPICAL[ch.type] ?? (ch.format === 'uint8' ? { base: 1, swing: 1 } : { base: 50, swing: 10 });
  const phase = random() * 2 * Math.PI;
  return () => {
    const wave = Math.sin((2 * Math.PI * now()) / periodMs + phase);
    const v = t.base + t.swing * (0.9 * wave + 0.1 * (random() * 2 - 1));
    return encodeClamped(codec, ch, v);
  };
}

/** Values the format cannot hold are clamped to its range rather than thrown. */
function encodeClamped(codec: ReturnType<typeof gattCodec>, ch: Channel, v: number): Buffer {
  const limits = ch.format === 'int16le' ? [-32768, 32767] : ch.format === 'uint16le' ? [0, 65535] : ch.format === 'uint8' ? [0, 255] : undefined;
  if (!limits) return codec.encode(v);
  const [lo, hi] = limits as [number, number];
  const [a, b] = [lo * ch.scale, hi * ch.scale].sort((x, y) => x - y) as [number, number];
  return codec.encode(Math.min(b, Math.max(a, v)));
}

export interface SimulatedGattPeripheralOptions extends SimulatedValueOptions {
  /** Default: the options' address, else one derived from the service UUID and local name. */
  address?: string;
  /** Notification interval of sensors while subscribed. Default 1 s. */
  notifyEveryMs?: number;
  latencyMs?: number;
}

const colonAddress = (s: string) => (s.includes(':') ? s.toLowerCase() : (s.toLowerCase().match(/.{1,2}/g) ?? []).join(':'));

function derivedAddress(seed: string): string {
  let h = 0x811c9dc5;
  for (const ch of seed) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  const bytes = [0xc0, (h >>> 24) & 0xff, (h >>> 16) & 0xff, (h >>> 8) & 0xff, h & 0xff, seed.length & 0xff];
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/** The device a `gatt` driver entry describes, simulated: found, read, notified and written exactly as the real one would be. */
export function simulatedGattPeripheral(driverOptions: unknown, opts: SimulatedGattPeripheralOptions = {}): SimPeripheral {
  const o = parseGattOptions(driverOptions);
  const services = new Map<string, SimServiceSpec>();
  for (const ch of o.characteristics) {
    const service = services.get(ch.serviceUuid) ?? { uuid: ch.serviceUuid, characteristics: [] };
    services.set(ch.serviceUuid, service);
    if (ch.role === 'sensor') {
      service.characteristics.push({ uuid: ch.uuid, properties: ['read', 'notify'], value: valueSource(ch, opts), notifyEveryMs: opts.notifyEveryMs ?? 1_000 });
    } else {
      const initial = gattCodec(ch.name, ch.format, ch.scale).encode(ch.format === 'utf8' ? '' : 0);
      service.characteristics.push({ uuid: ch.uuid, properties: ['read', 'write'], value: initial });
    }
  }
  const address = opts.address ?? (o.address ? colonAddress(o.address) : derivedAddress(`${o.serviceUuid}/${o.localName ?? ''}`));
  return new SimPeripheral({
    address,
    ...(o.localName === undefined ? {} : { localName: o.localName }),
    ...(opts.latencyMs === undefined ? {} : { latencyMs: opts.latencyMs }),
    serviceUuids: [o.serviceUuid],
    services: [...services.values()],
  });
}
