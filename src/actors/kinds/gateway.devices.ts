import type { DependentDevice, GatewayEvent, GatewayState } from './gateway.types.js';
import { at, bool, idField, isOlder, reject, str, type Ctx } from './validate.js';

/** Dependent devices: detection, provisioning, restart, delete, and online status kept in sync. */

export function deviceOf(ctx: Ctx, state: GatewayState): DependentDevice {
  const localId = idField(ctx, 'localId');
  const device = state.devices[localId];
  if (!device) reject(ctx, 'ERR_DEVICE_NOT_FOUND', `no dependent device ${localId} has been detected by this gateway`, { localId });
  return device;
}

export function notDeleting(ctx: Ctx, d: DependentDevice): void {
  if (d.deleteRequestedAt !== null) reject(ctx, 'ERR_DEVICE_BEING_DELETED', `dependent device ${d.localId} is being deleted`, { localId: d.localId });
}

/** Restarting or deleting mid-flash bricks a microcontroller (the seed saw it happen). */
function notUpdating(ctx: Ctx, d: DependentDevice): void {
  if (d.update?.status === 'updating') {
    reject(ctx, 'ERR_DEVICE_UPDATING', `dependent device ${d.localId} is being updated (attempt ${d.update.attempt?.number}); wait until it completes or fails`, { localId: d.localId });
  }
}

export function detect(ctx: Ctx, state: GatewayState): GatewayEvent[] {
  const localId = idField(ctx, 'localId');
  const boardType = str(ctx, 'boardType', { max: 64 });
  const when = at(ctx);
  const known = state.devices[localId];
  if (!known) return [{ type: 'DeviceDetected', data: { localId, boardType, at: when } }];
  if (known.boardType !== boardType) {
    reject(ctx, 'ERR_BOARD_TYPE_MISMATCH', `dependent device ${localId} was detected as a ${known.boardType}, not a ${boardType}`, { localId, boardType: known.boardType });
  }
  // Found again by a scan: it is online, unless this scan is older than what is known.
  if (known.online === true || isOlder(when, known.onlineChangedAt)) return [];
  return [{ type: 'DependentDeviceStatusChanged', data: { localId, online: true, at: when } }];
}

export function provision(ctx: Ctx, state: GatewayState): GatewayEvent[] {
  const d = deviceOf(ctx, state);
  const name = str(ctx, 'name', { max: 128 });
  const application = str(ctx, 'application', { max: 128 });
  notDeleting(ctx, d);
  if (d.provisioned) {
    if (d.provisioned.name === name && d.provisioned.application === application) return [];
    reject(ctx, 'ERR_DEVICE_ALREADY_PROVISIONED', `dependent device ${d.localId} is already provisioned as ${d.provisioned.name} in ${d.provisioned.application}`, { localId: d.localId });
  }
  return [{ type: 'DeviceProvisioned', data: { localId: d.localId, name, application, at: ctx.now } }];
}

export function requestRestart(ctx: Ctx, state: GatewayState): GatewayEvent[] {
  const d = deviceOf(ctx, state);
  notDeleting(ctx, d);
  notUpdating(ctx, d);
  return d.restartRequestedAt !== null ? [] : [{ type: 'DeviceRestartRequested', data: { localId: d.localId, at: ctx.now } }];
}

export function confirmRestart(ctx: Ctx, state: GatewayState): GatewayEvent[] {
  const d = deviceOf(ctx, state);
  const when = at(ctx);
  if (d.restartRequestedAt === null) reject(ctx, 'ERR_RESTART_NOT_REQUESTED', `no restart of dependent device ${d.localId} was requested`, { localId: d.localId });
  return [{ type: 'DeviceRestarted', data: { localId: d.localId, at: when } }];
}

export function requestDelete(ctx: Ctx, state: GatewayState): GatewayEvent[] {
  const d = deviceOf(ctx, state);
  notUpdating(ctx, d);
  return d.deleteRequestedAt !== null ? [] : [{ type: 'DeviceDeleteRequested', data: { localId: d.localId, at: ctx.now } }];
}

export function confirmDelete(ctx: Ctx, state: GatewayState): GatewayEvent[] {
  const d = deviceOf(ctx, state);
  const when = at(ctx);
  if (d.deleteRequestedAt === null) reject(ctx, 'ERR_DELETE_NOT_REQUESTED', `no delete of dependent device ${d.localId} was requested`, { localId: d.localId });
  return [{ type: 'DeviceDeleted', data: { localId: d.localId, at: when } }];
}

export function reportDeviceStatus(ctx: Ctx, state: GatewayState): GatewayEvent[] {
  const d = deviceOf(ctx, state);
  const online = bool(ctx, 'online');
  const when = at(ctx);
  if (d.online === online || isOlder(when, d.onlineChangedAt)) return [];
  return [{ type: 'DependentDeviceStatusChanged', data: { localId: d.localId, online, at: when } }];
}
