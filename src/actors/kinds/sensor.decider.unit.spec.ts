import { describe, expect, it } from 'vitest';
import { DEFAULT_TIMESTAMP as NOW, deciderSpec } from '../../../test/helpers/decider.js';
import { sensorDecider, type SensorEvent } from './sensor.decider.js';

const given = deciderSpec(sensorDecider, { id: 'node-1:light', commandId: 'req-2' });
const T1 = '2024-05-01T11:00:00.000Z';
const T2 = '2024-05-01T11:30:00.000Z';
const LATER = '2024-05-01T12:05:00.000Z';
const EXPIRY = '2024-05-01T12:01:00.000Z';

const sensorAttached: SensorEvent = { type: 'SensorAttached', data: { role: 'sensor', type: 'motion', unit: '', parent: 'node/node-1', at: T1 } };
const actuatorAttached: SensorEvent = { type: 'SensorAttached', data: { role: 'actuator', type: 'light', unit: '', parent: 'node/node-1', at: T1 } };
const requested: SensorEvent = { type: 'ValueRequested', data: { requestId: 'req-1', value: 1, requestedAt: T1, expiresAt: EXPIRY } };
const online: SensorEvent = { type: 'SensorWentOnline', data: { at: T1 } };

describe('sensor decider', () => {
  describe('AttachSensor', () => {
    it('attaches a device channel to its parent', () => {
      const state = given([]).when({ type: 'AttachSensor', data: { role: 'actuator', type: 'light', unit: '', parent: 'node/node-1' } }).then([
        { type: 'SensorAttached', data: { role: 'actuator', type: 'light', unit: '', parent: 'node/node-1', at: NOW } },
      ]);
      expect(state).toMatchObject({ attached: true, role: 'actuator', status: 'UNKNOWN' });
    });

    it('is idempotent for the same attachment and refuses a different one', () => {
      given([actuatorAttached]).when({ type: 'AttachSensor', data: { role: 'actuator', type: 'light', unit: '', parent: 'node/node-1' } }).thenNothingHappened();
      given([actuatorAttached]).when({ type: 'AttachSensor', data: { role: 'sensor', type: 'light', unit: '', parent: 'node/node-1' } }).thenRejects('ERR_SENSOR_ALREADY_ATTACHED', 'node/node-1');
    });

    it.each(['node-1', 'daemon/p1', 'reactor/', 'gateway/a.b', 42])('refuses the parent %j', (parent) => {
      given([]).whenRaw('AttachSensor', { role: 'sensor', type: 't', unit: 'C', parent }).thenRejects('ERR_INVALID_PARENT', 'reactor/<id>');
    });

    it('refuses a role other than sensor or actuator, and a missing type', () => {
      given([]).whenRaw('AttachSensor', { role: 'switch', type: 't', unit: 'C', parent: 'reactor/r1' }).thenRejects('ERR_INVALID_ROLE', 'field role');
      given([]).whenRaw('AttachSensor', { role: 'sensor', unit: 'C', parent: 'reactor/r1' }).thenRejects('ERR_INVALID_COMMAND', 'field type');
    });

    it('refuses every other command before it is attached', () => {
      given([]).when({ type: 'RecordReading', data: { value: 1, at: T1 } }).thenRejects('ERR_SENSOR_NOT_ATTACHED', 'AttachSensor');
      given([]).when({ type: 'SetValue', data: { value: 1 } }).thenRejects('ERR_SENSOR_NOT_ATTACHED');
      given([]).when({ type: 'MarkUnknown', data: {} }).thenRejects('ERR_SENSOR_NOT_ATTACHED');
    });
  });

  describe('RecordReading', () => {
    it('records a reading, which brings the device online', () => {
      const state = given([sensorAttached]).when({ type: 'RecordReading', data: { value: 7, at: T2 } }).then([
        { type: 'SensorWentOnline', data: { at: T2 } },
        { type: 'ReadingRecorded', data: { value: 7, at: T2 } },
      ]);
      expect(state).toMatchObject({ status: 'ONLINE', lastSeen: T2, lastReading: { value: 7, at: T2 } });
    });

    it('keeps a late reading as history without overwriting the newest', () => {
      const newer: SensorEvent = { type: 'ReadingRecorded', data: { value: 9, at: T2 } };
      const state = given([sensorAttached, online, newer]).when({ type: 'RecordReading', data: { value: 3, at: T1 } }).then([{ type: 'ReadingRecorded', data: { value: 3, at: T1 } }]);
      expect(state.lastReading).toEqual({ value: 9, at: T2 });
      expect(state.lastSeen).toBe(T2);
    });

    it('refuses a reading on an actuator and a malformed value', () => {
      given([actuatorAttached]).when({ type: 'RecordReading', data: { value: 1, at: T1 } }).thenRejects('ERR_WRONG_ROLE', 'ReportValue');
      given([sensorAttached]).whenRaw('RecordReading', { value: Number.NaN, at: T1 }).thenRejects('ERR_INVALID_VALUE');
      given([sensorAttached]).whenRaw('RecordReading', { value: { nested: 1 }, at: T1 }).thenRejects('ERR_INVALID_VALUE');
      given([sensorAttached]).whenRaw('RecordReading', { value: 1, at: 1714557600 }).thenRejects('ERR_INVALID_TIMESTAMP');
    });
  });

  describe('SetValue', () => {
    it('refuses to set a value on a read-only sensor, saying so', () => {
      given([sensorAttached]).when({ type: 'SetValue', data: { value: 1 } }).thenRejects('ERR_SENSOR_READ_ONLY', 'the device is a read-only sensor');
    });

    it('records the desired value under the command id', () => {
      const state = given([actuatorAttached]).when({ type: 'SetValue', data: { value: true, expiresAt: EXPIRY } }).then([
        { type: 'ValueRequested', data: { requestId: 'req-2', value: true, requestedAt: NOW, expiresAt: EXPIRY } },
      ]);
      expect(state.desired).toMatchObject({ requestId: 'req-2', status: 'pending' });
    });

    it('supersedes a request that is still pending', () => {
      const state = given([actuatorAttached, requested]).when({ type: 'SetValue', data: { value: 0 } }).then([
        { type: 'DesiredValueSuperseded', data: { requestId: 'req-1', by: 'req-2', at: NOW } },
        { type: 'ValueRequested', data: { requestId: 'req-2', value: 0, requestedAt: NOW, expiresAt: null } },
      ]);
      expect(state.desired).toMatchObject({ requestId: 'req-2', value: 0, status: 'pending' });
    });

    it('refuses an expiry that is not in the future, or not a time', () => {
      given([actuatorAttached]).when({ type: 'SetValue', data: { value: 1, expiresAt: T2 } }).thenRejects('ERR_INVALID_EXPIRY', 'later than');
      given([actuatorAttached]).whenRaw('SetValue', { value: 1, expiresAt: 'soon' }).thenRejects('ERR_INVALID_TIMESTAMP', 'expiresAt');
      given([actuatorAttached]).whenRaw('SetValue', {}).thenRejects('ERR_INVALID_VALUE');
    });
  });

  describe('ReportValue', () => {
    it('confirms the desired value when the reported one matches', () => {
      const state = given([actuatorAttached, online, requested]).when({ type: 'ReportValue', data: { value: 1, at: NOW } }).then([
        { type: 'ActuatorValueReported', data: { value: 1, at: NOW } },
        { type: 'DesiredValueConfirmed', data: { requestId: 'req-1', value: 1, at: NOW } },
      ]);
      expect(state.desired).toMatchObject({ status: 'confirmed', settledAt: NOW });
      expect(state.reported).toEqual({ value: 1, at: NOW });
    });

    it('leaves the desired value pending when the reported one differs', () => {
      const state = given([actuatorAttached, online, requested]).when({ type: 'ReportValue', data: { value: 0, at: NOW } }).then([{ type: 'ActuatorValueReported', data: { value: 0, at: NOW } }]);
      expect(state.desired?.status).toBe('pending');
    });

    it('does not confirm from a report older than the newest one', () => {
      const newer: SensorEvent = { type: 'ActuatorValueReported', data: { value: 0, at: NOW } };
      given([actuatorAttached, online, requested, newer]).when({ type: 'ReportValue', data: { value: 1, at: T2 } }).then([{ type: 'ActuatorValueReported', data: { value: 1, at: T2 } }]);
    });

    it('refuses a report on a sensor', () => {
      given([sensorAttached]).when({ type: 'ReportValue', data: { value: 1, at: T1 } }).thenRejects('ERR_WRONG_ROLE', 'read-only sensor');
    });
  });

  describe('ExpireDesired', () => {
    it('fails a desired value not confirmed before it expired', () => {
      const state = given([actuatorAttached, requested]).when({ type: 'ExpireDesired', data: { at: LATER } }).then([
        { type: 'DesiredValueExpired', data: { requestId: 'req-1', value: 1, expiresAt: EXPIRY, at: LATER } },
      ]);
      expect(state.desired).toMatchObject({ status: 'failed', settledAt: LATER });
    });

    it('changes nothing before the expiry, after a confirmation, or for another request', () => {
      given([actuatorAttached, requested]).when({ type: 'ExpireDesired', data: { at: NOW } }).thenNothingHappened();
      const confirmed: SensorEvent = { type: 'DesiredValueConfirmed', data: { requestId: 'req-1', value: 1, at: NOW } };
      given([actuatorAttached, requested, confirmed]).when({ type: 'ExpireDesired', data: { at: LATER } }).thenNothingHappened();
      given([actuatorAttached, requested]).when({ type: 'ExpireDesired', data: { at: LATER, requestId: 'req-0' } }).thenNothingHappened();
    });

    it('never expires a request made without an expiry', () => {
      const open: SensorEvent = { type: 'ValueRequested', data: { requestId: 'req-1', value: 1, requestedAt: T1, expiresAt: null } };
      given([actuatorAttached, open]).when({ type: 'ExpireDesired', data: { at: LATER } }).thenNothingHappened();
    });
  });

  describe('status', () => {
    it('moves between ONLINE, OFFLINE and UNKNOWN with last-seen kept', () => {
      const s1 = given([sensorAttached]).when({ type: 'MarkOnline', data: { at: T1 } }).then([online]);
      expect(s1).toMatchObject({ status: 'ONLINE', lastSeen: T1 });
      const s2 = given([sensorAttached, online]).when({ type: 'MarkOffline', data: { at: T2, reason: 'node died' } }).then([{ type: 'SensorWentOffline', data: { at: T2, reason: 'node died' } }]);
      expect(s2).toMatchObject({ status: 'OFFLINE', lastSeen: T1 });
      const s3 = given([sensorAttached, online]).when({ type: 'MarkUnknown', data: { at: T2, reason: 'reactor offline' } }).then([{ type: 'SensorBecameUnknown', data: { at: T2, reason: 'reactor offline' } }]);
      expect(s3).toMatchObject({ status: 'UNKNOWN', lastSeen: T1 });
    });

    it('ignores a status already held, or a stale one', () => {
      given([sensorAttached, online]).when({ type: 'MarkOnline', data: { at: T2 } }).thenNothingHappened();
      const offline: SensorEvent = { type: 'SensorWentOffline', data: { at: T2, reason: null } };
      given([sensorAttached, online, offline]).when({ type: 'MarkUnknown', data: { at: T1 } }).thenNothingHappened();
    });

    it('refuses a malformed reason', () => {
      given([sensorAttached]).whenRaw('MarkOffline', { at: T1, reason: ['x'] }).thenRejects('ERR_INVALID_COMMAND', 'field reason');
    });
  });
});
