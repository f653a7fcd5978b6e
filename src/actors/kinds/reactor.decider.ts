import type { Command, Decider } from '../decider.js';
import { applySeen, applyStatus, initialLiveness, shouldTransition, signOfLife, type LivenessState } from './liveness.js';
import { allOf, arr, at, contextOf, idField, ignoreUnknownEvent, isOlder, nested, num, reject, str, unknownCommand, type Ctx } from './validate.js';

/**
 * A reactor-monitor board: the devices found on its buses, and whether it is online.
 *
 * - `ReportDevices` is the board's full scan: new devices are discovered, missing ones removed,
 *   and devices left UNKNOWN by an outage are confirmed present again.
 * - When the reactor goes offline every device on it becomes UNKNOWN, never a stale "online";
 *   coming back online alone confirms nothing, the next scan does.
 * - A scan or heartbeat older than what is known describes the past and changes nothing.
 */
export interface ReportedDevice {
  id: string;
  bus: string;
  address: string | number;
  driver?: string;
}

export type ReactorCommand =
  | Command<'ReportDevices', { devices: ReportedDevice[]; at?: string }>
  | Command<'RemoveDevice', { deviceId: string; reason?: string; at?: string }>
  | Command<'MarkOnline', { at?: string }>
  | Command<'MarkOffline', { at?: string; reason?: string }>
  | Command<'Heartbeat', { at?: string }>;

export type ReactorEvent =
  | { type: 'ReactorWentOnline'; data: { at: string } }
  | { type: 'ReactorWentOffline'; data: { at: string; reason: string | null; unknownDevices: string[] } }
  | { type: 'ReactorSeen'; data: { at: string } }
  | { type: 'DeviceDiscovered'; data: { deviceId: string; bus: string; address: string | number; driver: string | null; at: string } }
  | { type: 'DeviceRemoved'; data: { deviceId: string; reason: string; at: string } }
  | { type: 'DevicesConfirmed'; data: { deviceIds: string[]; at: string } };

export interface ReactorDevice {
  id: string;
  bus: string;
  address: string | number;
  driver: string | null;
  status: 'ONLINE' | 'UNKNOWN';
  discoveredAt: string;
  statusChangedAt: string;
}

export interface ReactorState extends LivenessState {
  offlineReason: string | null;
  devices: Record<string, ReactorDevice>;
}

const initialState = (): ReactorState => ({ ...initialLiveness(), offlineReason: null, devices: {} });

function parseDevices(ctx: Ctx): Array<Omit<ReportedDevice, 'driver'> & { driver: string | null }> {
  const seen = new Set<string>();
  return arr(ctx, 'devices').map((raw, i) => {
    const d = nested(ctx, `devices[${i}]`, raw);
    const id = idField(d, 'id');
    if (seen.has(id)) reject(ctx, 'ERR_DUPLICATE_DEVICE', `the report lists device ${id} more than once`, { deviceId: id });
    seen.add(id);
    const address = typeof d.data.address === 'number' ? num(d, 'address', { integer: true, min: 0 }) : str(d, 'address', { max: 128 });
    return { id, bus: str(d, 'bus', { max: 128 }), address, driver: str(d, 'driver', { optional: true, max: 128 }) ?? null };
  });
}

function reportDevices(ctx: Ctx, state: ReactorState): ReactorEvent[] {
  const reported = parseDevices(ctx);
  const when = at(ctx);
  if (isOlder(when, state.lastSeen) || isOlder(when, state.statusChangedAt)) return [];
  const events: ReactorEvent[] = [];
  const life = signOfLife(state, when);
  if (life === 'online') events.push({ type: 'ReactorWentOnline', data: { at: when } });
  const confirmed: string[] = [];
  for (const d of reported) {
    const known = state.devices[d.id];
    // A bus scan may not name drivers: an omitted driver keeps the one already known.
    const driver = d.driver ?? known?.driver ?? null;
    const moved = known && (known.bus !== d.bus || known.address !== d.address || known.driver !== driver);
    if (!known || moved) {
      // A known id at a new bus, address or driver is discovered anew where it now is.
      events.push({ type: 'DeviceDiscovered', data: { deviceId: d.id, bus: d.bus, address: d.address, driver, at: when } });
    } else if (known.status === 'UNKNOWN') confirmed.push(d.id);
  }
  const present = new Set(reported.map((d) => d.id));
  for (const id of Object.keys(state.devices)) {
    if (!present.has(id)) events.push({ type: 'DeviceRemoved', data: { deviceId: id, reason: 'not reported by the reactor', at: when } });
  }
  if (confirmed.length > 0) events.push({ type: 'DevicesConfirmed', data: { deviceIds: confirmed, at: when } });
  if (life === 'seen') events.push({ type: 'ReactorSeen', data: { at: when } });
  return events;
}

function removeDevice(ctx: Ctx, state: ReactorState): ReactorEvent[] {
  const deviceId = idField(ctx, 'deviceId');
  const reason = str(ctx, 'reason', { optional: true, max: 512 }) ?? 'removed by operator';
  const when = at(ctx);
  if (!state.devices[deviceId]) reject(ctx, 'ERR_DEVICE_NOT_FOUND', `no device ${deviceId} is known on this reactor`, { deviceId });
  return [{ type: 'DeviceRemoved', data: { deviceId, reason, at: when } }];
}

function markOffline(ctx: Ctx, state: ReactorState): ReactorEvent[] {
  const when = at(ctx);
  const reason = str(ctx, 'reason', { optional: true, max: 512 }) ?? null;
  if (!shouldTransition(state, 'OFFLINE', when)) return [];
  const unknownDevices = Object.values(state.devices)
    .filter((d) => d.status === 'ONLINE')
    .map((d) => d.id);
  return [{ type: 'ReactorWentOffline', data: { at: when, reason, unknownDevices } }];
}

const commandTypes = allOf<ReactorCommand['type']>({
  ReportDevices: true,
  RemoveDevice: true,
  MarkOnline: true,
  MarkOffline: true,
  Heartbeat: true,
});

function decide(command: ReactorCommand, state: ReactorState): ReactorEvent[] {
  const ctx = contextOf(command, commandTypes);
  switch (command.type) {
    case 'ReportDevices':
      return reportDevices(ctx, state);
    case 'RemoveDevice':
      return removeDevice(ctx, state);
    case 'MarkOnline': {
      const when = at(ctx);
      return shouldTransition(state, 'ONLINE', when) ? [{ type: 'ReactorWentOnline', data: { at: when } }] : [];
    }
    case 'MarkOffline':
      return markOffline(ctx, state);
    case 'Heartbeat': {
      const when = at(ctx);
      const life = signOfLife(state, when);
      if (life === 'none') return [];
      return [{ type: life === 'online' ? 'ReactorWentOnline' : 'ReactorSeen', data: { at: when } }];
    }
    default:
      return unknownCommand('reactor', command);
  }
}

const mapDevices = (devices: Record<string, ReactorDevice>, f: (d: ReactorDevice) => ReactorDevice) =>
  Object.fromEntries(Object.entries(devices).map(([id, d]) => [id, f(d)]));

function evolve(state: ReactorState, event: ReactorEvent): ReactorState {
  switch (event.type) {
    case 'ReactorWentOnline':
      return { ...applyStatus(state, 'ONLINE', event.data.at), offlineReason: null };
    case 'ReactorWentOffline': {
      const { at: when, reason } = event.data;
      const devices = mapDevices(state.devices, (d) => (d.status === 'UNKNOWN' ? d : { ...d, status: 'UNKNOWN', statusChangedAt: when }));
      return { ...applyStatus(state, 'OFFLINE', when), offlineReason: reason, devices };
    }
    case 'ReactorSeen':
      return applySeen(state, event.data.at);
    case 'DeviceDiscovered': {
      const { deviceId, bus, address, driver, at: when } = event.data;
      const device: ReactorDevice = { id: deviceId, bus, address, driver, status: 'ONLINE', discoveredAt: when, statusChangedAt: when };
      return { ...state, devices: { ...state.devices, [deviceId]: device } };
    }
    case 'DeviceRemoved': {
      const { [event.data.deviceId]: _removed, ...devices } = state.devices;
      return { ...state, devices };
    }
    case 'DevicesConfirmed': {
      const ids = new Set(event.data.deviceIds);
      return { ...state, devices: mapDevices(state.devices, (d) => (ids.has(d.id) ? { ...d, status: 'ONLINE', statusChangedAt: event.data.at } : d)) };
    }
    default:
      return ignoreUnknownEvent(state, event);
  }
}

export const reactorDecider: Decider<ReactorState, ReactorCommand, ReactorEvent> = {
  kind: 'reactor',
  version: '1',
  commandTypes,
  initialState,
  decide,
  evolve,
};
