import type { ChannelInfo, ChannelValue, Reading } from '../driver.js';
import type { EdgeCommand } from '../link/index.js';
import type { HardwareConfig } from './config.js';
import type { DeviceConfig } from './configDevices.js';
import { isPowerChannel, isSwitchChannel, type OpenDevice } from './openDevice.js';

/**
 * What a board says to its actors, by board kind (the actor commands are restated here because
 * edge code does not import the actors; src/actors/kinds/*.decider.ts are the source of truth):
 *
 * - node, reactor, gateway: each channel is a sensor actor attached under the board
 *   (`AttachSensor {parent: <kind>/<id>}`); sensor channels send `RecordReading` every sample,
 *   actuator channels `ReportValue` when their value changes or to stay alive. A node registers
 *   its hardware list (`RegisterNode`) and heartbeats; a reactor heartbeats (its device scan is
 *   i2cScan.ts); a gateway reports Running and heartbeats (its dependents are dependents.ts).
 * - daemon (a smart plug, board id = plug id): the power channel sends `RecordPower {watts}`,
 *   the relay `ConfirmPower {on}` when it changes; `RegisterDaemon {owner}` at start.
 * - spark (board id = Spark service name): each device is the block `<service>:<device id>`,
 *   patched with its channels' values at their `fields` paths (`PatchBlock`).
 */
export interface BoardProfile {
  /** Sent once at start, before any reading. */
  started(at: string): EdgeCommand[];
  /** Sent when a device's driver opens (its channels are known then). */
  opened(device: OpenDevice, at: string): EdgeCommand[];
  sample(device: OpenDevice, readings: readonly Reading[], at: string, nowMs: number): EdgeCommand[];
  heartbeat(at: string): EdgeCommand[];
}

const cmd = (kind: string, id: string, type: string, data: Record<string, unknown>): EdgeCommand => ({ kind, id, type, data });

/** Values an actor can take: finite numbers, booleans, short strings. */
const usable = (v: ChannelValue): boolean => (typeof v === 'number' ? Number.isFinite(v) : typeof v === 'boolean' || v.length <= 256);

/** The node's hardware list (RegisterNode): what hardware.json says, one entry per device. */
function hardwareList(devices: readonly DeviceConfig[]) {
  return devices.map((d) => ({
    id: d.id,
    bus: d.bus === 'i2c' ? `i2c-${d.busNumber}` : d.bus,
    address: d.bus === 'i2c' ? d.i2cAddress! : String(d.address ?? d.path ?? d.options.serviceUuid ?? ''),
    driver: d.driver,
    role: d.role ?? (d.driver === 'pca9685' ? 'actuator' : 'sensor'),
  }));
}

export function boardProfile(config: HardwareConfig): BoardProfile {
  const { kind, id } = config.board;
  const keepAliveMs = config.heartbeatMs > 0 ? config.heartbeatMs : 30_000;

  const sensorBoard = (started: (at: string) => EdgeCommand[], heartbeat: (at: string) => EdgeCommand[]): BoardProfile => ({
    started,
    heartbeat,
    opened: (device) =>
      device.channels.map((c) => cmd('sensor', device.actorIds.get(c.name)!, 'AttachSensor', { role: c.role, type: c.type, unit: c.unit, parent: `${kind}/${id}` })),
    sample(device, readings, at, nowMs) {
      const out: EdgeCommand[] = [];
      for (const r of readings) {
        const sensor = device.actorIds.get(r.channel);
        const ch = device.channels.find((c) => c.name === r.channel);
        if (!sensor || !ch || !usable(r.value)) continue;
        if (ch.role === 'sensor') out.push(cmd('sensor', sensor, 'RecordReading', { value: r.value, at }));
        else if (due(device, ch, r.value, nowMs)) out.push(cmd('sensor', sensor, 'ReportValue', { value: r.value, at }));
      }
      return out;
    },
  });

  const due = (device: OpenDevice, ch: ChannelInfo, value: ChannelValue, nowMs: number): boolean => {
    const last = device.reported.get(ch.name);
    if (last && last.value === value && nowMs - last.atMs < keepAliveMs) return false;
    device.reported.set(ch.name, { value, atMs: nowMs });
    return true;
  };

  switch (kind) {
    case 'node':
      return sensorBoard(
        () => [cmd('node', id, 'RegisterNode', { serial: config.board.serial, name: config.board.name, description: config.board.description, hardware: { devices: hardwareList(config.devices) } })],
        (at) => [cmd('node', id, 'Heartbeat', { at })],
      );
    case 'reactor':
      return sensorBoard(
        () => [],
        (at) => [cmd('reactor', id, 'Heartbeat', { at })],
      );
    case 'gateway':
      return sensorBoard(
        (at) => [cmd('gateway', id, 'ReportStatus', { currentStatus: 'Running', at })],
        (at) => [cmd('gateway', id, 'Heartbeat', { at })],
      );
    case 'daemon':
      return {
        started: () => (config.board.owner ? [cmd('daemon', id, 'RegisterDaemon', { owner: config.board.owner })] : []),
        opened: () => [],
        heartbeat: () => [],
        sample(device, readings, at, nowMs) {
          const out: EdgeCommand[] = [];
          for (const r of readings) {
            const ch = device.channels.find((c) => c.name === r.channel);
            if (!ch) continue;
            if (isPowerChannel(ch) && typeof r.value === 'number' && Number.isFinite(r.value) && r.value >= 0) out.push(cmd('daemon', id, 'RecordPower', { watts: r.value, at }));
            const on = r.value === true || r.value === 1;
            if (isSwitchChannel(ch) && due(device, ch, on, nowMs)) out.push(cmd('daemon', id, 'ConfirmPower', { on, at }));
          }
          return out;
        },
      };
    case 'spark':
      return {
        started: () => [],
        opened: () => [],
        heartbeat: () => [],
        sample(device, readings) {
          const data: Record<string, unknown> = {};
          for (const r of readings) if (device.actorIds.has(r.channel) && usable(r.value)) setPath(data, device.config.fields[r.channel] ?? r.channel, r.value);
          return Object.keys(data).length === 0 ? [] : [cmd('block', `${id}:${device.config.id}`, 'PatchBlock', { data })];
        },
      };
  }
}

/** Sets `a/b/c` in a nested object (Brewblox's path notation). */
function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('/').filter((p) => p.length > 0);
  let at = target;
  for (const p of parts.slice(0, -1)) {
    const next = at[p];
    at = (typeof next === 'object' && next !== null ? next : (at[p] = {})) as Record<string, unknown>;
  }
  if (parts.length > 0) at[parts.at(-1)!] = value;
}
