import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { OTA_SERVICE_UUID } from '../ble/index.js';
import { BOARD_KINDS, HardwareSchema, type BoardKind, type HardwareInput } from './config.schema.js';
import { checkDevice, checkSharedAddresses, type DeviceConfig } from './configDevices.js';
import { firstSchemaProblem } from './configErrors.js';
import { HardwareConfigError } from './errors.js';

export type { BoardKind, DeviceConfig };
export { BOARD_KINDS };

/**
 * A board's hardware description, checked, with defaults filled in and paths resolved against
 * the file's own directory (so a hardware.json and its buffer and firmware travel together).
 */
export interface HardwareConfig {
  file: string;
  board: { kind: BoardKind; id: string; name: string; serial: string; description: string; owner: string | undefined };
  nats: { servers: string[]; user: string | undefined; pass: string | undefined; token: string | undefined; creds: Uint8Array | undefined };
  partitions: number;
  buffer: { dir: string; maxBytes: number };
  heartbeatMs: number;
  scanIntervalMs: number;
  dependents: { serviceUuid: string; scanMs: number; boardType: string | undefined; firmwareDir: string | undefined };
  devices: DeviceConfig[];
  simulation: { dependents: Array<{ address: string; localName: string | undefined; faults: Record<string, unknown> }>; firmwareBytes: number; latencyMs: number };
}

/** What the command line may override (the demo points every board at its own NATS and data dir). */
export interface ConfigOverrides {
  natsUrl?: string;
  bufferDir?: string;
}

export const DEFAULT_PARTITIONS = 16;
export const DEFAULT_HEARTBEAT_MS = 15_000;

export function loadHardwareConfig(file: string, overrides: ConfigOverrides = {}): HardwareConfig {
  const path = resolve(file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new HardwareConfigError('', `cannot read the hardware description (${(e as Error).message})`, path);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new HardwareConfigError('', `not valid JSON (${(e as Error).message})`, path);
  }
  try {
    return parseHardwareConfig(raw, path, overrides);
  } catch (e) {
    if (e instanceof HardwareConfigError && e.file === undefined) throw new HardwareConfigError(e.field, e.reason, path);
    throw e;
  }
}

export function parseHardwareConfig(raw: unknown, file: string, overrides: ConfigOverrides = {}): HardwareConfig {
  const problem = firstSchemaProblem(HardwareSchema, raw);
  if (problem) throw new HardwareConfigError(problem.field, problem.reason);
  const h = raw as HardwareInput;
  const here = dirname(file);
  const ids = new Map<string, number>();
  const devices = h.devices.map((d, i) => {
    const earlier = ids.get(d.id);
    if (earlier !== undefined) throw new HardwareConfigError(`devices[${i}].id`, `${JSON.stringify(d.id)} is already the id of devices[${earlier}]`);
    ids.set(d.id, i);
    return checkDevice(d, i, h.board.kind);
  });
  checkSharedAddresses(devices);
  const { kind, id } = h.board;
  return {
    file,
    board: { kind, id, name: h.board.name ?? id, serial: h.board.serial ?? id, description: h.board.description ?? '', owner: h.board.owner },
    nats: {
      servers: overrides.natsUrl ? [overrides.natsUrl] : Array.isArray(h.nats.url) ? h.nats.url : [h.nats.url],
      user: h.nats.user,
      pass: h.nats.pass,
      token: h.nats.token,
      creds: h.nats.credsFile === undefined ? undefined : readCreds(resolve(here, h.nats.credsFile)),
    },
    partitions: h.partitions ?? DEFAULT_PARTITIONS,
    buffer: { dir: resolve(overrides.bufferDir ?? resolve(here, h.buffer?.dir ?? `edge-buffer-${kind}-${id}`)), maxBytes: h.buffer?.maxBytes ?? 64 * 1024 * 1024 },
    heartbeatMs: h.heartbeatMs ?? DEFAULT_HEARTBEAT_MS,
    scanIntervalMs: h.scanIntervalMs ?? (kind === 'gateway' ? 30_000 : 60_000),
    dependents: {
      serviceUuid: h.dependents?.serviceUuid ?? OTA_SERVICE_UUID,
      scanMs: h.dependents?.scanMs ?? 2000,
      boardType: h.dependents?.boardType,
      firmwareDir: h.dependents?.firmwareDir === undefined ? undefined : resolve(here, h.dependents.firmwareDir),
    },
    devices,
    simulation: {
      dependents: (h.simulation?.dependents ?? []).map((d) => ({ address: d.address, localName: d.localName, faults: d.faults ?? {} })),
      firmwareBytes: h.simulation?.firmwareBytes ?? 64 * 1024,
      latencyMs: h.simulation?.latencyMs ?? 2,
    },
  };
}

function readCreds(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new HardwareConfigError('nats.credsFile', `cannot read ${path} (${(e as Error).message})`);
  }
}
