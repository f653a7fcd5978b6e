import { isUuid, normalizeUuid } from './ble.js';
import { BleDriverConfigError } from './errors.js';
import { GATT_FORMATS, type GattFormat } from './gattFormat.js';

/**
 * The `gatt` driver's options, as a hardware.json BLE device entry carries them, checked when the
 * driver is made so a typo fails at start-up rather than at the first read.
 */
export interface GattCharacteristicOptions {
  /** Channel name, unique within the device. */
  name: string;
  uuid: string;
  role: 'sensor' | 'actuator';
  type: string;
  unit: string;
  format: GattFormat;
  /** physical = raw × scale. Default 1. */
  scale?: number;
  /** The service holding it, when not the device's `serviceUuid`. */
  serviceUuid?: string;
}

export interface GattDriverOptions {
  /** Found by this advertised service UUID… */
  serviceUuid: string;
  /** …and, when given, this advertised local name… */
  localName?: string;
  /** …and this address (`aa:bb:…`, or noble's id). */
  address?: string;
  characteristics: GattCharacteristicOptions[];
  scanTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** Bound of every read, write, discovery and subscription (noble's never time out). */
  opTimeoutMs?: number;
  /** First delay between reconnect attempts after an unexpected disconnect; doubles up to `reconnectMaxDelayMs`. */
  reconnectDelayMs?: number;
  reconnectMaxDelayMs?: number;
}

export type ParsedGattOptions = Required<Omit<GattDriverOptions, 'localName' | 'address' | 'characteristics'>> & {
  localName: string | undefined;
  address: string | undefined;
  characteristics: (Required<Omit<GattCharacteristicOptions, 'serviceUuid'>> & { serviceUuid: string })[];
};

const DEFAULTS = { scanTimeoutMs: 10_000, connectTimeoutMs: 10_000, opTimeoutMs: 3_000, reconnectDelayMs: 1_000, reconnectMaxDelayMs: 30_000 };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function text(o: Record<string, unknown>, key: string, where: string, optional = false): string | undefined {
  const v = o[key];
  if (v === undefined && optional) return undefined;
  if (typeof v !== 'string' || v.length === 0) throw new BleDriverConfigError(`${where}${key} must be a non-empty string`, { field: `${where}${key}` });
  return v;
}

function uuid(o: Record<string, unknown>, key: string, where: string, optional = false): string | undefined {
  const v = text(o, key, where, optional);
  if (v === undefined) return undefined;
  if (!isUuid(v)) throw new BleDriverConfigError(`${where}${key} ${JSON.stringify(v)} is not a 16-, 32- or 128-bit UUID`, { field: `${where}${key}` });
  return normalizeUuid(v);
}

function positive(o: Record<string, unknown>, key: keyof typeof DEFAULTS): number {
  const v = o[key] ?? DEFAULTS[key];
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new BleDriverConfigError(`${key} must be a positive number of milliseconds`, { field: key });
  return v;
}

export function parseGattOptions(raw: unknown): ParsedGattOptions {
  if (!isObject(raw)) throw new BleDriverConfigError('options must be an object');
  const serviceUuid = uuid(raw, 'serviceUuid', '')!;
  const list = raw.characteristics;
  if (!Array.isArray(list) || list.length === 0) throw new BleDriverConfigError('characteristics must be a non-empty array', { field: 'characteristics' });
  const names = new Set<string>();
  const characteristics = list.map((c: unknown, i) => {
    const where = `characteristics[${i}].`;
    if (!isObject(c)) throw new BleDriverConfigError(`${where.slice(0, -1)} must be an object`);
    const name = text(c, 'name', where)!;
    if (names.has(name)) throw new BleDriverConfigError(`channel name ${JSON.stringify(name)} is used twice`, { field: `${where}name` });
    names.add(name);
    const role = c.role;
    if (role !== 'sensor' && role !== 'actuator') throw new BleDriverConfigError(`${where}role must be "sensor" or "actuator"`, { field: `${where}role` });
    const format = c.format;
    if (typeof format !== 'string' || !(GATT_FORMATS as readonly string[]).includes(format)) {
      throw new BleDriverConfigError(`${where}format must be one of ${GATT_FORMATS.join(', ')}`, { field: `${where}format` });
    }
    const scale = c.scale ?? 1;
    if (typeof scale !== 'number' || !Number.isFinite(scale) || scale === 0) throw new BleDriverConfigError(`${where}scale must be a non-zero number`, { field: `${where}scale` });
    return {
      name,
      uuid: uuid(c, 'uuid', where)!,
      role,
      type: text(c, 'type', where)!,
      unit: typeof c.unit === 'string' ? c.unit : '',
      format: format as GattFormat,
      scale,
      serviceUuid: uuid(c, 'serviceUuid', where, true) ?? serviceUuid,
    } as const;
  });
  return {
    serviceUuid,
    localName: text(raw, 'localName', '', true),
    address: text(raw, 'address', '', true)?.toLowerCase(),
    characteristics,
    scanTimeoutMs: positive(raw, 'scanTimeoutMs'),
    connectTimeoutMs: positive(raw, 'connectTimeoutMs'),
    opTimeoutMs: positive(raw, 'opTimeoutMs'),
    reconnectDelayMs: positive(raw, 'reconnectDelayMs'),
    reconnectMaxDelayMs: positive(raw, 'reconnectMaxDelayMs'),
  };
}
