import { describe, expect, it } from 'vitest';
import { DEFAULT_TIMESTAMP as NOW, deciderSpec, stateAfter } from '../../../test/helpers/decider.js';
import { daemonDecider, READING_WINDOW, type DaemonEvent } from './daemon.decider.js';

const given = deciderSpec(daemonDecider, { id: 'paddy-42', commandId: 'sw-2' });
const T1 = '2024-05-01T10:00:00.000Z';
const T2 = '2024-05-01T10:00:10.000Z';
const T3 = '2024-05-01T10:00:20.000Z';

const registered: DaemonEvent = { type: 'DaemonRegistered', data: { owner: 'user-7', at: T1 } };
const switchOn: DaemonEvent = { type: 'PowerSwitchRequested', data: { requestId: 'sw-1', on: true, at: T1 } };
const reading = (watts: number, at: string): DaemonEvent => ({ type: 'PowerRecorded', data: { watts, at } });

describe('daemon decider', () => {
  describe('RegisterDaemon', () => {
    it('gives the daemon an owner, once', () => {
      const state = given([]).when({ type: 'RegisterDaemon', data: { owner: 'user-7' } }).then([{ type: 'DaemonRegistered', data: { owner: 'user-7', at: NOW } }]);
      expect(state.owner).toBe('user-7');
      given([registered]).when({ type: 'RegisterDaemon', data: { owner: 'user-7' } }).thenNothingHappened();
    });

    it("refuses another user's claim and a malformed owner", () => {
      given([registered]).when({ type: 'RegisterDaemon', data: { owner: 'user-8' } }).thenRejects('ERR_DAEMON_ALREADY_OWNED', 'another user');
      given([]).whenRaw('RegisterDaemon', { owner: '' }).thenRejects('ERR_INVALID_COMMAND', 'field owner');
    });

    it('refuses every other command before it has an owner', () => {
      given([]).when({ type: 'SwitchPower', data: { on: true } }).thenRejects('ERR_DAEMON_NOT_REGISTERED', 'RegisterDaemon');
      given([]).when({ type: 'RecordPower', data: { watts: 5, at: T1 } }).thenRejects('ERR_DAEMON_NOT_REGISTERED');
    });
  });

  describe('SwitchPower and ConfirmPower', () => {
    it('records the wish under the command id, and the confirmation that matches it', () => {
      const s1 = given([registered]).when({ type: 'SwitchPower', data: { on: false } }).then([{ type: 'PowerSwitchRequested', data: { requestId: 'sw-2', on: false, at: NOW } }]);
      expect(s1.desired).toMatchObject({ requestId: 'sw-2', status: 'pending' });
      expect(s1.on).toBeNull();
      const s2 = given([registered, switchOn]).when({ type: 'ConfirmPower', data: { on: true, at: T2 } }).then([{ type: 'PowerConfirmed', data: { on: true, at: T2, requestId: 'sw-1' } }]);
      expect(s2).toMatchObject({ on: true, confirmedAt: T2, desired: { status: 'confirmed' } });
    });

    it('records a change the plug made on its own, without confirming the wish', () => {
      const state = given([registered, switchOn]).when({ type: 'ConfirmPower', data: { on: false, at: T2 } }).then([{ type: 'PowerConfirmed', data: { on: false, at: T2, requestId: null } }]);
      expect(state.desired?.status).toBe('pending');
    });

    it('ignores a repeated or stale confirmation', () => {
      const confirmed: DaemonEvent = { type: 'PowerConfirmed', data: { on: true, at: T2, requestId: 'sw-1' } };
      given([registered, switchOn, confirmed]).when({ type: 'ConfirmPower', data: { on: true, at: T3 } }).thenNothingHappened();
      given([registered, switchOn, confirmed]).when({ type: 'ConfirmPower', data: { on: false, at: T1 } }).thenNothingHappened();
    });

    it('refuses a switch or confirmation that is not a boolean', () => {
      given([registered]).whenRaw('SwitchPower', { on: 'on' }).thenRejects('ERR_INVALID_COMMAND', 'field on');
      given([registered]).whenRaw('ConfirmPower', { on: 1, at: T1 }).thenRejects('ERR_INVALID_COMMAND', 'field on');
    });
  });

  describe('RecordPower', () => {
    it('records readings; the newest is the current draw', () => {
      const state = given([registered, reading(100, T1)]).when({ type: 'RecordPower', data: { watts: 60.5, at: T2 } }).then([reading(60.5, T2)]);
      expect(state.lastPower).toEqual({ watts: 60.5, at: T2 });
    });

    it('accepts an out-of-order reading as history without changing the current draw', () => {
      const state = given([registered, reading(100, T3)]).when({ type: 'RecordPower', data: { watts: 7, at: T1 } }).then([reading(7, T1)]);
      expect(state.lastPower).toEqual({ watts: 100, at: T3 });
      expect(state.recentReadingTimes).toEqual([T1, T3]);
    });

    it('refuses a duplicate reading at the same time, however the time is written', () => {
      given([registered, reading(100, T1), reading(90, T2)]).when({ type: 'RecordPower', data: { watts: 100, at: T1 } }).thenRejects('ERR_DUPLICATE_READING', T1);
      given([registered, reading(100, T1)]).when({ type: 'RecordPower', data: { watts: 1, at: '2024-05-01T12:00:00+02:00' } }).thenRejects('ERR_DUPLICATE_READING');
    });

    it.each([-1, Number.NaN, Number.POSITIVE_INFINITY, '60', undefined])('refuses the watts %j', (watts) => {
      given([registered]).whenRaw('RecordPower', { watts, at: T1 }).thenRejects('ERR_INVALID_POWER', 'field watts');
    });

    it(`remembers only the newest ${READING_WINDOW} reading times`, () => {
      const history = Array.from({ length: READING_WINDOW + 6 }, (_, i) => reading(1, new Date(Date.parse(T1) + i * 10_000).toISOString()));
      const state = stateAfter(daemonDecider, [registered, ...history]);
      expect(state.recentReadingTimes).toHaveLength(READING_WINDOW);
      expect(state.recentReadingTimes[0]).toBe(history[6]!.data.at);
    });
  });
});

describe('daemon decider: liveness', () => {
  const offline: DaemonEvent = { type: 'DaemonWentOffline', data: { at: T2, reason: 'no message for 60 s' } };

  it('MarkOffline marks a silent plug offline, once', () => {
    const state = given([registered, reading(10, T1)])
      .when({ type: 'MarkOffline', data: { at: T2, reason: 'no message for 60 s' } })
      .then([offline]);
    expect(state.online).toBe(false);
    given([registered, offline]).when({ type: 'MarkOffline', data: { at: T3 } }).thenNothingHappened();
  });

  it('the next reading or confirmation brings an offline plug back online first', () => {
    const state = given([registered, offline])
      .when({ type: 'RecordPower', data: { watts: 12, at: T3 } })
      .then([{ type: 'DaemonWentOnline', data: { at: NOW } }, reading(12, T3)]);
    expect(state.online).toBe(true);
    given([registered, offline])
      .when({ type: 'ConfirmPower', data: { on: true, at: T3 } })
      .then([{ type: 'DaemonWentOnline', data: { at: NOW } }, { type: 'PowerConfirmed', data: { on: true, at: T3, requestId: null } }]);
  });

  it('MarkOnline is idempotent, and a plug never judged stays as it was on readings', () => {
    given([registered, offline]).when({ type: 'MarkOnline', data: { at: T3 } }).then([{ type: 'DaemonWentOnline', data: { at: T3 } }]);
    given([registered, offline, { type: 'DaemonWentOnline', data: { at: T3 } }]).when({ type: 'MarkOnline', data: {} }).thenNothingHappened();
    given([registered]).when({ type: 'RecordPower', data: { watts: 5, at: T2 } }).then([reading(5, T2)]);
  });

  it('refuses liveness commands before registration and a non-text reason', () => {
    given([]).when({ type: 'MarkOffline', data: {} }).thenRejects('ERR_DAEMON_NOT_REGISTERED');
    given([registered]).whenRaw('MarkOffline', { reason: 42 }).thenRejects('ERR_INVALID_COMMAND');
  });
});
