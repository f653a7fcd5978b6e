import type { Decider } from '../decider.js';
import { confirmDelete, confirmRestart, detect, provision, reportDeviceStatus, requestDelete, requestRestart } from './gateway.devices.js';
import { completeUpdate, failUpdateAttempt, reportProgress, setTargetFirmware, startAttempt } from './gateway.firmware.js';
import { gatewayHeartbeat, gatewayOffline, gatewayOnline, gatewayStarted } from './gateway.liveness.js';
import { PROCESS_STATUSES, type DependentDevice, type FirmwareUpdate, type GatewayCommand, type GatewayEvent, type GatewayState, type ProcessStatus } from './gateway.types.js';
import { applySeen, applyStatus, initialLiveness } from './liveness.js';
import { allOf, at, contextOf, ignoreUnknownEvent, isOlder, oneOf, unknownCommand } from './validate.js';

export * from './gateway.types.js';

/**
 * A gateway managing dependent microcontrollers (edge-node-manager seed): its process status
 * (target and current, Running|Paused), its dependent devices (gateway.devices.ts), their OTA
 * updates (gateway.firmware.ts) and its own liveness (gateway.liveness.ts).
 */
const initialState = (): GatewayState => ({
  ...initialLiveness(),
  targetStatus: 'Running',
  currentStatus: null,
  currentStatusAt: null,
  startedAt: null,
  offlineReason: null,
  devices: {},
});

const commandTypes = allOf<GatewayCommand['type']>({
  SetTargetStatus: true,
  ReportStatus: true,
  GatewayStarted: true,
  MarkOnline: true,
  MarkOffline: true,
  Heartbeat: true,
  ReportDeviceStatus: true,
  DetectDevice: true,
  ProvisionDevice: true,
  RequestRestart: true,
  ConfirmRestart: true,
  RequestDelete: true,
  ConfirmDelete: true,
  SetTargetFirmware: true,
  StartUpdateAttempt: true,
  ReportUpdateProgress: true,
  CompleteUpdate: true,
  FailUpdateAttempt: true,
});

function decide(command: GatewayCommand, state: GatewayState): GatewayEvent[] {
  const ctx = contextOf(command, commandTypes);
  switch (command.type) {
    case 'SetTargetStatus': {
      const targetStatus = oneOf<ProcessStatus>(ctx, 'targetStatus', PROCESS_STATUSES, 'ERR_INVALID_STATUS');
      return targetStatus === state.targetStatus ? [] : [{ type: 'TargetStatusSet', data: { targetStatus, at: ctx.now } }];
    }
    case 'ReportStatus': {
      const currentStatus = oneOf<ProcessStatus>(ctx, 'currentStatus', PROCESS_STATUSES, 'ERR_INVALID_STATUS');
      const when = at(ctx);
      if (currentStatus === state.currentStatus || isOlder(when, state.currentStatusAt)) return [];
      return [{ type: 'ProcessStatusReported', data: { currentStatus, at: when } }];
    }
    case 'GatewayStarted':
      return gatewayStarted(ctx, state);
    case 'MarkOnline':
      return gatewayOnline(ctx, state);
    case 'MarkOffline':
      return gatewayOffline(ctx, state);
    case 'Heartbeat':
      return gatewayHeartbeat(ctx, state);
    case 'ReportDeviceStatus':
      return reportDeviceStatus(ctx, state);
    case 'DetectDevice':
      return detect(ctx, state);
    case 'ProvisionDevice':
      return provision(ctx, state);
    case 'RequestRestart':
      return requestRestart(ctx, state);
    case 'ConfirmRestart':
      return confirmRestart(ctx, state);
    case 'RequestDelete':
      return requestDelete(ctx, state);
    case 'ConfirmDelete':
      return confirmDelete(ctx, state);
    case 'SetTargetFirmware':
      return setTargetFirmware(ctx, state);
    case 'StartUpdateAttempt':
      return startAttempt(ctx, state);
    case 'ReportUpdateProgress':
      return reportProgress(ctx, state);
    case 'CompleteUpdate':
      return completeUpdate(ctx, state);
    case 'FailUpdateAttempt':
      return failUpdateAttempt(ctx, state);
    default:
      return unknownCommand('gateway', command);
  }
}

const newDevice = (localId: string, boardType: string, at: string): DependentDevice => ({
  localId,
  boardType,
  detectedAt: at,
  online: true,
  onlineChangedAt: at,
  provisioned: null,
  restartRequestedAt: null,
  lastRestartedAt: null,
  deleteRequestedAt: null,
  commit: null,
  update: null,
});

function withDevice(state: GatewayState, localId: string, f: (d: DependentDevice) => DependentDevice): GatewayState {
  const d = state.devices[localId];
  return d ? { ...state, devices: { ...state.devices, [localId]: f(d) } } : state;
}

function withUpdate(state: GatewayState, localId: string, f: (u: FirmwareUpdate, d: DependentDevice) => Partial<DependentDevice> & { update: FirmwareUpdate }): GatewayState {
  return withDevice(state, localId, (d) => (d.update ? { ...d, ...f(d.update, d) } : d));
}

const everyDevice = (state: GatewayState, f: (d: DependentDevice) => DependentDevice): GatewayState => ({
  ...state,
  devices: Object.fromEntries(Object.entries(state.devices).map(([id, d]) => [id, f(d)])),
});

function evolve(state: GatewayState, event: GatewayEvent): GatewayState {
  switch (event.type) {
    case 'TargetStatusSet':
      return { ...state, targetStatus: event.data.targetStatus };
    case 'ProcessStatusReported':
      return { ...state, currentStatus: event.data.currentStatus, currentStatusAt: event.data.at };
    case 'GatewayWentOnline': {
      const online = { ...applyStatus(state, 'ONLINE', event.data.at), offlineReason: null };
      return event.data.restarted ? { ...online, startedAt: event.data.at } : online;
    }
    case 'GatewaySeen':
    case 'GatewayHeartbeatReceived':
      return applySeen(state, event.data.at);
    case 'GatewayWentOffline': {
      const offline = { ...applyStatus(state, 'OFFLINE', event.data.at), offlineReason: event.data.reason };
      return everyDevice(offline, (d) => ({ ...d, online: null, onlineChangedAt: event.data.at }));
    }
    case 'DeviceStatusesRestated': {
      const flags = new Map(event.data.devices.map((r) => [r.localId, r.online]));
      return everyDevice(state, (d) => (flags.has(d.localId) ? { ...d, online: flags.get(d.localId)!, onlineChangedAt: event.data.at } : d));
    }
    case 'DependentDeviceStatusChanged':
      return withDevice(state, event.data.localId, (d) => ({ ...d, online: event.data.online, onlineChangedAt: event.data.at }));
    case 'DeviceDetected':
      return { ...state, devices: { ...state.devices, [event.data.localId]: newDevice(event.data.localId, event.data.boardType, event.data.at) } };
    case 'DeviceProvisioned':
      return withDevice(state, event.data.localId, (d) => ({ ...d, provisioned: { name: event.data.name, application: event.data.application } }));
    case 'DeviceRestartRequested':
      return withDevice(state, event.data.localId, (d) => ({ ...d, restartRequestedAt: event.data.at }));
    case 'DeviceRestarted':
      return withDevice(state, event.data.localId, (d) => ({ ...d, restartRequestedAt: null, lastRestartedAt: event.data.at }));
    case 'DeviceDeleteRequested':
      return withDevice(state, event.data.localId, (d) => ({ ...d, deleteRequestedAt: event.data.at }));
    case 'DeviceDeleted': {
      const { [event.data.localId]: _deleted, ...devices } = state.devices;
      return { ...state, devices };
    }
    case 'FirmwareTargetSet': {
      const { commit, maxAttempts } = event.data;
      return withDevice(state, event.data.localId, (d) => ({
        ...d,
        update: { commit, maxAttempts, attemptsUsed: 0, status: d.commit === commit ? 'done' : 'pending', attempt: null, lastError: null },
      }));
    }
    case 'UpdateAttemptStarted': {
      const { attempt, at: startedAt, deadline } = event.data;
      return withUpdate(state, event.data.localId, (u) => ({ update: { ...u, status: 'updating', attemptsUsed: attempt, attempt: { number: attempt, startedAt, deadline, percent: 0 } } }));
    }
    case 'UpdateProgressReported':
      return withUpdate(state, event.data.localId, (u) => ({ update: { ...u, attempt: u.attempt && { ...u.attempt, percent: event.data.percent } } }));
    case 'UpdateCompleted':
      return withUpdate(state, event.data.localId, (u) => ({ commit: event.data.commit, update: { ...u, status: 'done', attempt: null, lastError: null } }));
    case 'UpdateAttemptFailed':
      return withUpdate(state, event.data.localId, (u) => ({ update: { ...u, status: 'pending', attempt: null, lastError: event.data.error } }));
    case 'UpdateFailed':
      return withUpdate(state, event.data.localId, (u) => ({ update: { ...u, status: 'failed' } }));
    default:
      return ignoreUnknownEvent(state, event);
  }
}

export const gatewayDecider: Decider<GatewayState, GatewayCommand, GatewayEvent> = {
  kind: 'gateway',
  version: '1',
  commandTypes,
  initialState,
  decide,
  evolve,
};
