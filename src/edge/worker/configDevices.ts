import { bleDrivers, parseGattOptions } from '../ble/index.js';
import { createSimulatedI2cBus, i2cDrivers, type I2cDriverName } from '../i2c/index.js';
import { JSONLINES_DRIVER, MODBUS_DRIVER, SMART_PLUG_REGISTERS, serialDrivers } from '../serial/index.js';
import { JsonLinesOptionsSchema, ModbusOptionsSchema, parseOptions } from '../serial/options.js';
import type { BoardKind, DeviceInput, SimWave } from './config.schema.js';
import { HardwareConfigError } from './errors.js';

/** One device of hardware.json, checked and with its defaults filled in. */
export interface DeviceConfig {
  /** Its place in hardware.json's `devices` (for error messages). */
  index: number;
  id: string;
  bus: 'i2c' | 'serial' | 'ble';
  driver: string;
  role: 'sensor' | 'actuator' | undefined;
  intervalMs: number;
  channels: string[] | undefined;
  /** The driver's options, completed (Modbus slave id and registers, GATT service and address). */
  options: Record<string, unknown>;
  fields: Record<string, string>;
  simValues: Record<string, SimWave>;
  /** I2C only. */
  busNumber: number;
  i2cAddress: number | undefined;
  /** Serial only. */
  path: string | undefined;
  /** As hardware.json gave it (the node's hardware list shows it). */
  address: string | number | undefined;
}

export const DEFAULT_INTERVAL_MS = 5000;

const known = (table: object) => Object.keys(table).map((k) => JSON.stringify(k)).join(', ');

function i2cAddress(d: DeviceInput, at: string): number {
  const raw = d.address;
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^(0x[0-9a-fA-F]{1,2}|\d{1,3})$/.test(raw) ? Number(raw) : NaN;
  if (raw === undefined) throw new HardwareConfigError(`${at}.address`, 'an I2C device needs its 7-bit address (e.g. 72 or "0x48")');
  if (!Number.isInteger(n) || n < 0x03 || n > 0x77) throw new HardwareConfigError(`${at}.address`, `must be a 7-bit I2C address 0x03…0x77, as a number or "0x48" (got ${JSON.stringify(raw)})`);
  return n;
}

/** Driver options are checked now, so a typo fails at start and not at the first read. */
function checked<T>(at: string, check: () => T): T {
  try {
    return check();
  } catch (e) {
    throw new HardwareConfigError(`${at}.options`, e instanceof Error ? e.message : String(e));
  }
}

function i2cDevice(d: DeviceInput, at: string, options: Record<string, unknown>): Pick<DeviceConfig, 'busNumber' | 'i2cAddress' | 'options'> {
  if (!Object.hasOwn(i2cDrivers, d.driver)) throw new HardwareConfigError(`${at}.driver`, `unknown I2C driver ${JSON.stringify(d.driver)} (known: ${known(i2cDrivers)})`);
  const address = i2cAddress(d, at);
  // The factories only check options (they touch the bus at the first read): try them on a bus with nothing on it.
  const probe = checked(at, () => i2cDrivers[d.driver as I2cDriverName](createSimulatedI2cBus(), address, options));
  void probe.close().catch(() => undefined);
  return { busNumber: d.busNumber ?? 1, i2cAddress: address, options };
}

function serialDevice(d: DeviceInput, at: string, options: Record<string, unknown>): Pick<DeviceConfig, 'path' | 'options'> {
  if (!Object.hasOwn(serialDrivers, d.driver)) throw new HardwareConfigError(`${at}.driver`, `unknown serial driver ${JSON.stringify(d.driver)} (known: ${known(serialDrivers)})`);
  if (d.path === undefined) throw new HardwareConfigError(`${at}.path`, 'a serial device needs its port (e.g. "/dev/ttyUSB0")');
  if (d.driver === MODBUS_DRIVER) {
    // A plug is the usual Modbus device here: its register table is the default.
    const slaveId = options.slaveId ?? d.address;
    if (!Number.isInteger(slaveId)) throw new HardwareConfigError(`${at}.address`, `a Modbus device needs its slave id (1…247) as address or options.slaveId (got ${JSON.stringify(slaveId)})`);
    const full = { ...options, slaveId, registers: options.registers ?? SMART_PLUG_REGISTERS.map((r) => ({ ...r })) };
    checked(at, () => parseOptions(MODBUS_DRIVER, ModbusOptionsSchema, full));
    return { path: d.path, options: full };
  }
  checked(at, () => parseOptions(JSONLINES_DRIVER, JsonLinesOptionsSchema, options));
  return { path: d.path, options };
}

function bleDevice(d: DeviceInput, at: string, options: Record<string, unknown>): Pick<DeviceConfig, 'options'> {
  if (!Object.hasOwn(bleDrivers, d.driver)) throw new HardwareConfigError(`${at}.driver`, `unknown BLE driver ${JSON.stringify(d.driver)} (known: ${known(bleDrivers)})`);
  if (d.address !== undefined && typeof d.address !== 'string') throw new HardwareConfigError(`${at}.address`, `a BLE address is a string like "c0:ff:ee:00:00:01" (got ${JSON.stringify(d.address)})`);
  const serviceUuid = options.serviceUuid ?? d.serviceUuid;
  if (serviceUuid === undefined) throw new HardwareConfigError(`${at}.serviceUuid`, 'a BLE device is found by the service UUID it advertises');
  const full = { ...options, serviceUuid, ...(d.address !== undefined && options.address === undefined ? { address: d.address } : {}) };
  checked(at, () => parseGattOptions(full));
  return { options: full };
}

export function checkDevice(d: DeviceInput, index: number, kind: BoardKind): DeviceConfig {
  const at = `devices[${index}]`;
  const options = { ...(d.options ?? {}) };
  if (d.fields && kind !== 'spark') throw new HardwareConfigError(`${at}.fields`, 'only spark boards map channels to block fields');
  const base = {
    index,
    id: d.id,
    bus: d.bus,
    driver: d.driver,
    role: d.role,
    intervalMs: d.intervalMs ?? DEFAULT_INTERVAL_MS,
    channels: d.channels,
    fields: d.fields ?? {},
    simValues: d.simulate?.values ?? {},
    busNumber: 0,
    i2cAddress: undefined,
    path: undefined,
    address: d.address,
  };
  if (d.bus === 'i2c') return { ...base, ...i2cDevice(d, at, options) };
  if (d.bus === 'serial') return { ...base, ...serialDevice(d, at, options) };
  return { ...base, ...bleDevice(d, at, options) };
}

/** Several entries may describe one chip (different channels), but not as different chips. */
export function checkSharedAddresses(devices: readonly DeviceConfig[]): void {
  const seen = new Map<string, DeviceConfig>();
  for (const d of devices) {
    if (d.bus !== 'i2c') continue;
    const key = `${d.busNumber}/${d.i2cAddress}`;
    const other = seen.get(key);
    if (other && other.driver !== d.driver) {
      throw new HardwareConfigError(`devices[${d.index}].address`, `0x${d.i2cAddress!.toString(16)} on I2C bus ${d.busNumber} is already devices[${other.index}] (${other.driver})`);
    }
    seen.set(key, d);
  }
}
