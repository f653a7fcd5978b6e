import { describe, expect, it } from 'vitest';
import { DEFAULT_TIMESTAMP as NOW, deciderSpec } from '../../../test/helpers/decider.js';
import { gatewayDecider, RESTARTED_DURING_UPDATE, type GatewayEvent } from './gateway.decider.js';

const given = deciderSpec(gatewayDecider, { id: 'gw-1' });
const T1 = '2024-05-01T10:00:00.000Z';
const T2 = '2024-05-01T10:05:00.000Z';
const T3 = '2024-05-01T10:10:00.000Z';
const ID = '1265892';
const COMMIT = '16b5cd4df8085d2872a6f6fc0c378629a185d78b';
const TIMEOUT = 'Timed out waiting for notification';

const device: GatewayEvent[] = [
  { type: 'GatewayWentOnline', data: { at: T1, restarted: true } },
  { type: 'DeviceDetected', data: { localId: ID, boardType: 'microbit', at: T1 } },
  { type: 'DeviceProvisioned', data: { localId: ID, name: 'holy-sunset', application: 'microbit', at: T1 } },
];
const target: GatewayEvent = { type: 'FirmwareTargetSet', data: { localId: ID, commit: COMMIT, maxAttempts: 3, at: T1 } };
const started = (attempt: number, at = T1): GatewayEvent => ({
  type: 'UpdateAttemptStarted',
  data: { localId: ID, commit: COMMIT, attempt, timeoutMs: 60_000, deadline: new Date(Date.parse(at) + 60_000).toISOString(), at },
});
const failed = (attempt: number, retriesLeft: number): GatewayEvent => ({ type: 'UpdateAttemptFailed', data: { localId: ID, commit: COMMIT, attempt, error: TIMEOUT, retriesLeft, at: T2 } });
const flashing = [...device, target, started(1)];
const twoFailed = [...device, target, started(1), failed(1, 2), started(2), failed(2, 1)];
const exhausted = [...twoFailed, started(3), failed(3, 0), { type: 'UpdateFailed', data: { localId: ID, commit: COMMIT, attempts: 3, error: TIMEOUT, at: T2 } } as GatewayEvent];

describe('gateway decider: OTA firmware updates', () => {
  describe('SetTargetFirmware', () => {
    it('sets a target with the default of 3 attempts, or the one given', () => {
      const state = given(device).when({ type: 'SetTargetFirmware', data: { localId: ID, commit: COMMIT } }).then([{ ...target, data: { ...target.data, at: NOW } } as GatewayEvent]);
      expect(state.devices[ID]?.update).toMatchObject({ commit: COMMIT, maxAttempts: 3, attemptsUsed: 0, status: 'pending' });
      given(device).when({ type: 'SetTargetFirmware', data: { localId: ID, commit: COMMIT, maxAttempts: 5 } }).then([
        { type: 'FirmwareTargetSet', data: { localId: ID, commit: COMMIT, maxAttempts: 5, at: NOW } },
      ]);
    });

    it('changes nothing for the pending target, or the commit the device already runs', () => {
      given([...device, target]).when({ type: 'SetTargetFirmware', data: { localId: ID, commit: COMMIT } }).thenNothingHappened();
      const done: GatewayEvent = { type: 'UpdateCompleted', data: { localId: ID, commit: COMMIT, attempt: 1, at: T2 } };
      given([...flashing, done]).when({ type: 'SetTargetFirmware', data: { localId: ID, commit: COMMIT } }).thenNothingHappened();
    });

    it('refuses an unprovisioned device, a target change mid-update, and malformed values', () => {
      given(device.slice(0, 2)).when({ type: 'SetTargetFirmware', data: { localId: ID, commit: COMMIT } }).thenRejects('ERR_DEVICE_NOT_PROVISIONED');
      given(flashing).when({ type: 'SetTargetFirmware', data: { localId: ID, commit: 'abc1234' } }).thenRejects('ERR_UPDATE_IN_PROGRESS', 'mid-update');
      given(device).when({ type: 'SetTargetFirmware', data: { localId: ID, commit: 'two words' } }).thenRejects('ERR_INVALID_COMMAND', 'field commit');
      given(device).when({ type: 'SetTargetFirmware', data: { localId: ID, commit: COMMIT, maxAttempts: 0 } }).thenRejects('ERR_INVALID_COMMAND', 'field maxAttempts');
      given(device).when({ type: 'SetTargetFirmware', data: { localId: ID, commit: COMMIT, maxAttempts: 2.5 } }).thenRejects('ERR_INVALID_COMMAND', 'field maxAttempts');
    });
  });

  describe('attempts', () => {
    it('starts attempt 1 with a deadline from its timeout', () => {
      const state = given([...device, target]).when({ type: 'StartUpdateAttempt', data: { localId: ID, attempt: 1, timeoutMs: 60_000, at: T1 } }).then([started(1)]);
      expect(state.devices[ID]?.update).toMatchObject({ status: 'updating', attemptsUsed: 1, attempt: { number: 1, deadline: '2024-05-01T10:01:00.000Z', percent: 0 } });
    });

    it('refuses an attempt out of sequence, a second one at once, or none to apply', () => {
      given([...device, target]).when({ type: 'StartUpdateAttempt', data: { localId: ID, attempt: 2, timeoutMs: 1000 } }).thenRejects('ERR_WRONG_ATTEMPT', 'next attempt for 1265892 is 1');
      given(flashing).when({ type: 'StartUpdateAttempt', data: { localId: ID, attempt: 2, timeoutMs: 1000 } }).thenRejects('ERR_UPDATE_IN_PROGRESS');
      given(device).when({ type: 'StartUpdateAttempt', data: { localId: ID, attempt: 1, timeoutMs: 1000 } }).thenRejects('ERR_NO_UPDATE_PENDING');
      given([...device, target]).whenRaw('StartUpdateAttempt', { localId: ID, attempt: 1, timeoutMs: 0 }).thenRejects('ERR_INVALID_COMMAND', 'field timeoutMs');
    });

    it('refuses to flash while the gateway is Paused or the device is offline', () => {
      const paused: GatewayEvent = { type: 'TargetStatusSet', data: { targetStatus: 'Paused', at: T1 } };
      given([...device, target, paused]).when({ type: 'StartUpdateAttempt', data: { localId: ID, attempt: 1, timeoutMs: 1000 } }).thenRejects('ERR_GATEWAY_PAUSED', 'radios');
      const off: GatewayEvent = { type: 'DependentDeviceStatusChanged', data: { localId: ID, online: false, at: T1 } };
      given([...device, target, off]).when({ type: 'StartUpdateAttempt', data: { localId: ID, attempt: 1, timeoutMs: 1000 } }).thenRejects('ERR_DEVICE_OFFLINE');
    });

    it('records progress forward only', () => {
      const progress: GatewayEvent = { type: 'UpdateProgressReported', data: { localId: ID, attempt: 1, percent: 40, at: T2 } };
      const state = given(flashing).when({ type: 'ReportUpdateProgress', data: { localId: ID, attempt: 1, percent: 40, at: T2 } }).then([progress]);
      expect(state.devices[ID]?.update?.attempt?.percent).toBe(40);
      given([...flashing, progress]).when({ type: 'ReportUpdateProgress', data: { localId: ID, attempt: 1, percent: 30, at: T2 } }).thenNothingHappened();
      given(flashing).when({ type: 'ReportUpdateProgress', data: { localId: ID, attempt: 1, percent: 101 } }).thenRejects('ERR_INVALID_COMMAND', 'field percent');
    });

    it('refuses reports for an attempt that is not in progress', () => {
      given([...device, target]).when({ type: 'ReportUpdateProgress', data: { localId: ID, attempt: 1, percent: 10 } }).thenRejects('ERR_NO_UPDATE_IN_PROGRESS');
      given([...twoFailed, started(3)]).when({ type: 'CompleteUpdate', data: { localId: ID, attempt: 2 } }).thenRejects('ERR_WRONG_ATTEMPT', 'attempt 2');
      given(flashing).when({ type: 'FailUpdateAttempt', data: { localId: ID, attempt: 2, error: TIMEOUT } }).thenRejects('ERR_WRONG_ATTEMPT');
      given(flashing).whenRaw('FailUpdateAttempt', { localId: ID, attempt: 1 }).thenRejects('ERR_INVALID_COMMAND', 'field error');
    });

    it('completes: the device runs the new commit', () => {
      const state = given(flashing).when({ type: 'CompleteUpdate', data: { localId: ID, attempt: 1, at: T2 } }).then([{ type: 'UpdateCompleted', data: { localId: ID, commit: COMMIT, attempt: 1, at: T2 } }]);
      expect(state.devices[ID]).toMatchObject({ commit: COMMIT, update: { status: 'done', attempt: null } });
    });
  });

  describe('retries', () => {
    it('a failed attempt leaves the update pending with the attempts used counted', () => {
      const state = given(flashing).when({ type: 'FailUpdateAttempt', data: { localId: ID, attempt: 1, error: TIMEOUT, at: T2 } }).then([failed(1, 2)]);
      expect(state.devices[ID]?.update).toMatchObject({ status: 'pending', attemptsUsed: 1, maxAttempts: 3, lastError: TIMEOUT });
      given([...flashing, failed(1, 2)]).when({ type: 'StartUpdateAttempt', data: { localId: ID, attempt: 2, timeoutMs: 60_000, at: T2 } }).then([started(2, T2)]);
    });

    it('after the last attempt fails the update is failed for good, until a new target is set', () => {
      const state = given([...twoFailed, started(3)]).when({ type: 'FailUpdateAttempt', data: { localId: ID, attempt: 3, error: TIMEOUT, at: T2 } }).then([
        failed(3, 0),
        { type: 'UpdateFailed', data: { localId: ID, commit: COMMIT, attempts: 3, error: TIMEOUT, at: T2 } },
      ]);
      expect(state.devices[ID]?.update).toMatchObject({ status: 'failed', attemptsUsed: 3, maxAttempts: 3 });
      given(exhausted).when({ type: 'StartUpdateAttempt', data: { localId: ID, attempt: 4, timeoutMs: 1000 } }).thenRejects('ERR_UPDATE_FAILED', 'failed for good after 3 of 3 attempts');
      const retarget = given(exhausted).when({ type: 'SetTargetFirmware', data: { localId: ID, commit: COMMIT } }).then([
        { type: 'FirmwareTargetSet', data: { localId: ID, commit: COMMIT, maxAttempts: 3, at: NOW } },
      ]);
      expect(retarget.devices[ID]?.update).toMatchObject({ status: 'pending', attemptsUsed: 0, lastError: null });
    });

    it('refuses to restart or delete a device mid-flash (it would brick)', () => {
      given(flashing).when({ type: 'RequestRestart', data: { localId: ID } }).thenRejects('ERR_DEVICE_UPDATING', 'attempt 1');
      given(flashing).when({ type: 'RequestDelete', data: { localId: ID } }).thenRejects('ERR_DEVICE_UPDATING');
    });
  });

  describe('gateway restart mid-update', () => {
    it('fails the attempt in progress visibly and leaves a retry', () => {
      const state = given(flashing).when({ type: 'GatewayStarted', data: { at: T3, devices: [{ localId: ID, online: true }] } }).then([
        { type: 'GatewayWentOnline', data: { at: T3, restarted: true } },
        { type: 'UpdateAttemptFailed', data: { localId: ID, commit: COMMIT, attempt: 1, error: RESTARTED_DURING_UPDATE, retriesLeft: 2, at: T3 } },
        { type: 'DeviceStatusesRestated', data: { at: T3, devices: [{ localId: ID, online: true }], unrecognized: [] } },
      ]);
      expect(state.devices[ID]?.update).toMatchObject({ status: 'pending', lastError: 'gateway restarted during update' });
    });

    it('fails the update for good when the restart killed its last attempt', () => {
      given([...twoFailed, started(3)]).when({ type: 'GatewayStarted', data: { at: T3, devices: [] } }).then([
        { type: 'GatewayWentOnline', data: { at: T3, restarted: true } },
        { type: 'UpdateAttemptFailed', data: { localId: ID, commit: COMMIT, attempt: 3, error: RESTARTED_DURING_UPDATE, retriesLeft: 0, at: T3 } },
        { type: 'UpdateFailed', data: { localId: ID, commit: COMMIT, attempts: 3, error: RESTARTED_DURING_UPDATE, at: T3 } },
        { type: 'DeviceStatusesRestated', data: { at: T3, devices: [{ localId: ID, online: false }], unrecognized: [] } },
      ]);
    });

    it('a reconnect without a restart leaves the flashing attempt alone', () => {
      const offline: GatewayEvent = { type: 'GatewayWentOffline', data: { at: T2, reason: null } };
      const state = given([...flashing, offline]).when({ type: 'MarkOnline', data: { at: T3, devices: [{ localId: ID, online: true }] } }).then([
        { type: 'GatewayWentOnline', data: { at: T3, restarted: false } },
        { type: 'DeviceStatusesRestated', data: { at: T3, devices: [{ localId: ID, online: true }], unrecognized: [] } },
      ]);
      expect(state.devices[ID]?.update?.status).toBe('updating');
    });
  });
});
