import { describe, expect, it } from 'vitest';
import { DEFAULT_TIMESTAMP as NOW, deciderSpec, stateAfter } from '../../../test/helpers/decider.js';
import { gatewayDecider, type GatewayEvent } from './gateway.decider.js';

const given = deciderSpec(gatewayDecider, { id: 'gw-1' });
const T1 = '2024-05-01T10:00:00.000Z';
const T2 = '2024-05-01T10:05:00.000Z';
const T3 = '2024-05-01T10:10:00.000Z';

const online: GatewayEvent = { type: 'GatewayWentOnline', data: { at: T1, restarted: true } };
const detected: GatewayEvent = { type: 'DeviceDetected', data: { localId: '1265892', boardType: 'microbit', at: T1 } };
const detected2: GatewayEvent = { type: 'DeviceDetected', data: { localId: 'AA:BB:CC', boardType: 'esp8266', at: T1 } };
const provisioned: GatewayEvent = { type: 'DeviceProvisioned', data: { localId: '1265892', name: 'holy-sunset', application: 'microbit', at: T1 } };
const device = [online, detected, provisioned];

describe('gateway decider: process status and dependent devices', () => {
  it('sets the target process status, once', () => {
    const state = given([]).when({ type: 'SetTargetStatus', data: { targetStatus: 'Paused' } }).then([{ type: 'TargetStatusSet', data: { targetStatus: 'Paused', at: NOW } }]);
    expect(state.targetStatus).toBe('Paused');
    given([]).when({ type: 'SetTargetStatus', data: { targetStatus: 'Running' } }).thenNothingHappened();
    given([]).whenRaw('SetTargetStatus', { targetStatus: 'paused' }).thenRejects('ERR_INVALID_STATUS', 'Running, Paused');
  });

  it('records the current process status on change, ignoring stale reports', () => {
    const reported: GatewayEvent = { type: 'ProcessStatusReported', data: { currentStatus: 'Running', at: T2 } };
    const state = given([]).when({ type: 'ReportStatus', data: { currentStatus: 'Running', at: T2 } }).then([reported]);
    expect(state).toMatchObject({ currentStatus: 'Running', currentStatusAt: T2 });
    given([reported]).when({ type: 'ReportStatus', data: { currentStatus: 'Running', at: T3 } }).thenNothingHappened();
    given([reported]).when({ type: 'ReportStatus', data: { currentStatus: 'Paused', at: T1 } }).thenNothingHappened();
    given([]).whenRaw('ReportStatus', { currentStatus: 'Stopped', at: T1 }).thenRejects('ERR_INVALID_STATUS');
  });

  describe('DetectDevice and ProvisionDevice', () => {
    it('detects a dependent device (online) and provisions it', () => {
      const s1 = given([online]).when({ type: 'DetectDevice', data: { localId: '1265892', boardType: 'microbit', at: T1 } }).then([detected]);
      expect(s1.devices['1265892']).toMatchObject({ boardType: 'microbit', online: true, provisioned: null });
      const s2 = given([online, detected]).when({ type: 'ProvisionDevice', data: { localId: '1265892', name: 'holy-sunset', application: 'microbit' } }).then([
        { type: 'DeviceProvisioned', data: { localId: '1265892', name: 'holy-sunset', application: 'microbit', at: NOW } },
      ]);
      expect(s2.devices['1265892']?.provisioned).toEqual({ name: 'holy-sunset', application: 'microbit' });
    });

    it('a device detected again is online again; the same detection is no change', () => {
      const off: GatewayEvent = { type: 'DependentDeviceStatusChanged', data: { localId: '1265892', online: false, at: T2 } };
      given([online, detected, off]).when({ type: 'DetectDevice', data: { localId: '1265892', boardType: 'microbit', at: T3 } }).then([
        { type: 'DependentDeviceStatusChanged', data: { localId: '1265892', online: true, at: T3 } },
      ]);
      given([online, detected]).when({ type: 'DetectDevice', data: { localId: '1265892', boardType: 'microbit', at: T2 } }).thenNothingHappened();
    });

    it('refuses a detection with another board type, or a malformed one', () => {
      given([online, detected]).when({ type: 'DetectDevice', data: { localId: '1265892', boardType: 'esp8266' } }).thenRejects('ERR_BOARD_TYPE_MISMATCH', 'microbit');
      given([online]).whenRaw('DetectDevice', { localId: 'a/b', boardType: 'microbit' }).thenRejects('ERR_INVALID_COMMAND', 'field localId');
      given([online]).whenRaw('DetectDevice', { localId: 'x1' }).thenRejects('ERR_INVALID_COMMAND', 'field boardType');
    });

    it('provisions once; refuses an unknown or differently provisioned device', () => {
      given(device).when({ type: 'ProvisionDevice', data: { localId: '1265892', name: 'holy-sunset', application: 'microbit' } }).thenNothingHappened();
      given(device).when({ type: 'ProvisionDevice', data: { localId: '1265892', name: 'other', application: 'microbit' } }).thenRejects('ERR_DEVICE_ALREADY_PROVISIONED', 'holy-sunset');
      given([online]).when({ type: 'ProvisionDevice', data: { localId: 'ghost', name: 'n', application: 'a' } }).thenRejects('ERR_DEVICE_NOT_FOUND', 'ghost');
    });
  });

  describe('restart and delete', () => {
    const restartRequested: GatewayEvent = { type: 'DeviceRestartRequested', data: { localId: '1265892', at: NOW } };
    const deleteRequested: GatewayEvent = { type: 'DeviceDeleteRequested', data: { localId: '1265892', at: NOW } };

    it('requests a restart and records it done', () => {
      given(device).when({ type: 'RequestRestart', data: { localId: '1265892' } }).then([restartRequested]);
      given([...device, restartRequested]).when({ type: 'RequestRestart', data: { localId: '1265892' } }).thenNothingHappened();
      const state = given([...device, restartRequested]).when({ type: 'ConfirmRestart', data: { localId: '1265892', at: T3 } }).then([{ type: 'DeviceRestarted', data: { localId: '1265892', at: T3 } }]);
      expect(state.devices['1265892']).toMatchObject({ restartRequestedAt: null, lastRestartedAt: T3 });
      given(device).when({ type: 'ConfirmRestart', data: { localId: '1265892' } }).thenRejects('ERR_RESTART_NOT_REQUESTED');
    });

    it('requests a delete and removes the device when done', () => {
      given(device).when({ type: 'RequestDelete', data: { localId: '1265892' } }).then([deleteRequested]);
      given([...device, deleteRequested]).when({ type: 'RequestDelete', data: { localId: '1265892' } }).thenNothingHappened();
      const state = given([...device, deleteRequested]).when({ type: 'ConfirmDelete', data: { localId: '1265892', at: T3 } }).then([{ type: 'DeviceDeleted', data: { localId: '1265892', at: T3 } }]);
      expect(state.devices['1265892']).toBeUndefined();
      given(device).when({ type: 'ConfirmDelete', data: { localId: '1265892' } }).thenRejects('ERR_DELETE_NOT_REQUESTED');
    });

    it('refuses provisioning, restart or a firmware target for a device being deleted', () => {
      given([online, detected, deleteRequested]).when({ type: 'ProvisionDevice', data: { localId: '1265892', name: 'n', application: 'a' } }).thenRejects('ERR_DEVICE_BEING_DELETED');
      given([...device, deleteRequested]).when({ type: 'RequestRestart', data: { localId: '1265892' } }).thenRejects('ERR_DEVICE_BEING_DELETED');
      given([...device, deleteRequested]).when({ type: 'SetTargetFirmware', data: { localId: '1265892', commit: 'abc1234' } }).thenRejects('ERR_DEVICE_BEING_DELETED');
    });
  });

  describe('online status kept in sync', () => {
    it('records a dependent device going offline, ignoring repeats and stale reports', () => {
      const off: GatewayEvent = { type: 'DependentDeviceStatusChanged', data: { localId: '1265892', online: false, at: T2 } };
      given(device).when({ type: 'ReportDeviceStatus', data: { localId: '1265892', online: false, at: T2 } }).then([off]);
      given([...device, off]).when({ type: 'ReportDeviceStatus', data: { localId: '1265892', online: false, at: T3 } }).thenNothingHappened();
      given([...device, off]).when({ type: 'ReportDeviceStatus', data: { localId: '1265892', online: true, at: T1 } }).thenNothingHappened();
      given(device).whenRaw('ReportDeviceStatus', { localId: '1265892', online: 'yes' }).thenRejects('ERR_INVALID_COMMAND', 'field online');
      given(device).when({ type: 'ReportDeviceStatus', data: { localId: 'ghost', online: true } }).thenRejects('ERR_DEVICE_NOT_FOUND');
    });

    it('while the gateway is unreachable every dependent device is unknown, not stale online', () => {
      const state = given([...device, detected2]).when({ type: 'MarkOffline', data: { at: T2, reason: 'network' } }).then([{ type: 'GatewayWentOffline', data: { at: T2, reason: 'network' } }]);
      expect(state.status).toBe('OFFLINE');
      expect(Object.values(state.devices).map((d) => d.online)).toEqual([null, null]);
      given([...device, { type: 'GatewayWentOffline', data: { at: T2, reason: null } }]).when({ type: 'MarkOffline', data: { at: T3 } }).thenNothingHappened();
    });

    it('coming back online states every device again, unlisted ones as offline', () => {
      const offline: GatewayEvent = { type: 'GatewayWentOffline', data: { at: T2, reason: null } };
      const state = given([...device, detected2, offline]).when({ type: 'MarkOnline', data: { at: T3, devices: [{ localId: 'AA:BB:CC', online: true }] } }).then([
        { type: 'GatewayWentOnline', data: { at: T3, restarted: false } },
        { type: 'DeviceStatusesRestated', data: { at: T3, devices: [{ localId: '1265892', online: false }, { localId: 'AA:BB:CC', online: true }], unrecognized: [] } },
      ]);
      expect(state.devices['1265892']?.online).toBe(false);
      expect(state.devices['AA:BB:CC']?.online).toBe(true);
    });

    it('an online gateway restates only when something differs; otherwise it is only seen (once per newer report)', () => {
      const seen = given(device).when({ type: 'MarkOnline', data: { at: T2, devices: [{ localId: '1265892', online: true }] } }).then([{ type: 'GatewaySeen', data: { at: T2 } }]);
      expect(seen.lastSeen).toBe(T2);
      given([...device, { type: 'GatewaySeen', data: { at: T2 } }]).when({ type: 'MarkOnline', data: { at: T2, devices: [{ localId: '1265892', online: true }] } }).thenNothingHappened();
      given(device).when({ type: 'MarkOnline', data: { at: T2, devices: [] } }).then([
        { type: 'DeviceStatusesRestated', data: { at: T2, devices: [{ localId: '1265892', online: false }], unrecognized: [] } },
      ]);
    });

    it("its own heartbeat keeps the gateway alive and brings it back, leaving every device's status as it is", () => {
      const alive = given(device).when({ type: 'Heartbeat', data: { at: T2 } }).then([{ type: 'GatewayHeartbeatReceived', data: { at: T2 } }]);
      expect(alive.lastSeen).toBe(T2);
      given([...device, { type: 'GatewayHeartbeatReceived', data: { at: T2 } }]).when({ type: 'Heartbeat', data: { at: T1 } }).thenNothingHappened();
      const offline: GatewayEvent = { type: 'GatewayWentOffline', data: { at: T2, reason: null } };
      const back = given([...device, offline]).when({ type: 'Heartbeat', data: { at: T3 } }).then([{ type: 'GatewayWentOnline', data: { at: T3, restarted: false } }]);
      expect(back.status).toBe('ONLINE');
      expect(back.devices['1265892']?.online).toBeNull();
      given([...device, offline]).when({ type: 'Heartbeat', data: { at: T1 } }).thenNothingHappened();
    });

    it('refuses a device list naming a device twice or malformed', () => {
      const twice = [{ localId: 'x', online: true }, { localId: 'x', online: false }];
      given(device).when({ type: 'GatewayStarted', data: { at: T2, devices: twice } }).thenRejects('ERR_DUPLICATE_DEVICE', 'x');
      given(device).whenRaw('GatewayStarted', { at: T2, devices: [{ localId: 'x' }] }).thenRejects('ERR_INVALID_COMMAND', 'devices[0].online');
      given(device).whenRaw('MarkOnline', { at: T2 }).thenRejects('ERR_INVALID_COMMAND', 'field devices');
    });

    it('on GatewayStarted restates every device even when nothing changed, naming devices it does not know', () => {
      const state = given(device).when({ type: 'GatewayStarted', data: { at: T2, devices: [{ localId: '1265892', online: true }, { localId: 'new-1', online: true }] } }).then([
        { type: 'GatewayWentOnline', data: { at: T2, restarted: true } },
        { type: 'DeviceStatusesRestated', data: { at: T2, devices: [{ localId: '1265892', online: true }], unrecognized: ['new-1'] } },
      ]);
      expect(state.startedAt).toBe(T2);
      given([...device, { type: 'GatewayWentOnline', data: { at: T3, restarted: true } }]).when({ type: 'GatewayStarted', data: { at: T2, devices: [] } }).thenNothingHappened();
    });
  });

  it('keeps the state JSON-safe through a whole lifecycle', () => {
    const state = stateAfter(gatewayDecider, [...device, detected2, { type: 'GatewayWentOffline', data: { at: T2, reason: null } }]);
    expect(JSON.parse(JSON.stringify(state))).toEqual(state);
  });
});
