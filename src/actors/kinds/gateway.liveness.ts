import { failAttempt } from './gateway.firmware.js';
import { RESTARTED_DURING_UPDATE, type DeviceOnline, type GatewayEvent, type GatewayState } from './gateway.types.js';
import { arr, at, bool, idField, isOlder, nested, reject, str, type Ctx } from './validate.js';
import { signOfLife } from './liveness.js';

/**
 * The gateway's own liveness. Whenever it comes back it states every dependent device's
 * online flag in full, and while it is unreachable every device is unknown: the seed sent only
 * changes, so devices stayed "online" through outages and restarts.
 */

function parseStatuses(ctx: Ctx): DeviceOnline[] {
  const seen = new Set<string>();
  return arr(ctx, 'devices').map((raw, i) => {
    const d = nested(ctx, `devices[${i}]`, raw);
    const localId = idField(d, 'localId');
    if (seen.has(localId)) reject(ctx, 'ERR_DUPLICATE_DEVICE', `the device list names ${localId} more than once`, { localId });
    seen.add(localId);
    return { localId, online: bool(d, 'online') };
  });
}

/** Every known device's status in full, never just the changes: that is how the seed went out of sync. */
function restate(state: GatewayState, reported: DeviceOnline[], when: string): Extract<GatewayEvent, { type: 'DeviceStatusesRestated' }> {
  const flags = new Map(reported.map((r) => [r.localId, r.online]));
  const devices = Object.keys(state.devices).map((localId) => ({ localId, online: flags.get(localId) ?? false }));
  const unrecognized = reported.filter((r) => !state.devices[r.localId]).map((r) => r.localId);
  return { type: 'DeviceStatusesRestated', data: { at: when, devices, unrecognized } };
}

/**
 * The gateway process (re)started: it is online, an update that was flashing died with the
 * process and fails visibly, and every device's status is stated afresh.
 */
export function gatewayStarted(ctx: Ctx, state: GatewayState): GatewayEvent[] {
  const reported = parseStatuses(ctx);
  const when = at(ctx);
  if (isOlder(when, state.startedAt) || isOlder(when, state.statusChangedAt)) return [];
  const failed = Object.values(state.devices)
    .filter((d) => d.update?.status === 'updating')
    .flatMap((d) => failAttempt(d, RESTARTED_DURING_UPDATE, when));
  return [{ type: 'GatewayWentOnline', data: { at: when, restarted: true } }, ...failed, restate(state, reported, when)];
}

/** Reachable again without a restart: an update may still be flashing, so it is left alone. */
export function gatewayOnline(ctx: Ctx, state: GatewayState): GatewayEvent[] {
  const reported = parseStatuses(ctx);
  const when = at(ctx);
  if (isOlder(when, state.statusChangedAt)) return [];
  const restated = restate(state, reported, when);
  if (state.status !== 'ONLINE') return [{ type: 'GatewayWentOnline', data: { at: when, restarted: false } }, restated];
  const differs = restated.data.devices.some((r) => state.devices[r.localId]?.online !== r.online);
  if (differs) return [restated];
  // Nothing changed, but the gateway is alive: say so once per newer report (the reactor's ReactorSeen).
  return signOfLife(state, when) === 'seen' ? [{ type: 'GatewaySeen', data: { at: when } }] : [];
}

/**
 * The gateway's own heartbeat, for a gateway whose device scan is slow, failing or absent: it
 * keeps the gateway alive or brings it back, and leaves every device as it is (unknown after an
 * outage until the next restatement) — a heartbeat does not speak for the devices.
 */
export function gatewayHeartbeat(ctx: Ctx, state: GatewayState): GatewayEvent[] {
  const when = at(ctx);
  const life = signOfLife(state, when);
  if (life === 'online') return [{ type: 'GatewayWentOnline', data: { at: when, restarted: false } }];
  return life === 'seen' ? [{ type: 'GatewayHeartbeatReceived', data: { at: when } }] : [];
}

export function gatewayOffline(ctx: Ctx, state: GatewayState): GatewayEvent[] {
  const reason = str(ctx, 'reason', { optional: true, max: 512 }) ?? null;
  const when = at(ctx);
  if (state.status === 'OFFLINE' || isOlder(when, state.statusChangedAt)) return [];
  return [{ type: 'GatewayWentOffline', data: { at: when, reason } }];
}
