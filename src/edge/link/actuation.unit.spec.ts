import { describe, expect, it } from 'vitest';
import { confirmation, expiryOf, otaReport, parseActuation } from './actuation.js';

const set = { sensor: 'a1', requestId: 'req-1', value: 42, requestedAt: '2026-11-22T10:00:00.000Z', expiresAt: '2026-11-22T10:01:00.000Z' };

describe('actuation messages', () => {
  it('parses a set, and confirms it with ReportValue carrying the read-back value', () => {
    const a = parseActuation('set', set);
    expect(a).toEqual({ action: 'set', ...set });
    expect(expiryOf(a)).toBe(set.expiresAt);
    expect(confirmation(a as never, 41.5, '2026-11-22T10:00:01.000Z')).toEqual({ kind: 'sensor', id: 'a1', type: 'ReportValue', data: { value: 41.5, at: '2026-11-22T10:00:01.000Z' } });
  });

  it('parses a plug switch, and confirms it with the daemon decider\'s ConfirmPower', () => {
    const a = parseActuation('power', { daemon: 'd1', requestId: 'r', on: true, requestedAt: set.requestedAt, expiresAt: set.expiresAt });
    expect(confirmation(a as never, false, 'T')).toEqual({ kind: 'daemon', id: 'd1', type: 'ConfirmPower', data: { on: false, at: 'T' } });
    expect(() => confirmation(a as never, 1, 'T')).toThrow(/true or false/);
  });

  it('parses an OTA attempt; its deadline is its expiry; outcomes become gateway commands', () => {
    const a = parseActuation('ota', { gateway: 'g1', localId: 'dev1', commit: 'abc', attempt: 2, timeoutMs: 1000, deadline: set.expiresAt, at: set.requestedAt });
    expect(expiryOf(a)).toBe(set.expiresAt);
    expect(otaReport(a as never, { percent: 50 }, 'T')).toMatchObject({ type: 'ReportUpdateProgress', data: { localId: 'dev1', attempt: 2, percent: 50 } });
    expect(otaReport(a as never, { done: true }, 'T')).toMatchObject({ type: 'CompleteUpdate', id: 'g1' });
    expect(otaReport(a as never, { error: 'flash failed' }, 'T')).toMatchObject({ type: 'FailUpdateAttempt', data: { error: 'flash failed' } });
  });

  it('refuses malformed bodies with ERR_INVALID_COMMAND or ERR_INVALID_ID', () => {
    expect(() => parseActuation('set', { ...set, value: null })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_COMMAND' }));
    expect(() => parseActuation('set', { ...set, expiresAt: 'soon' })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_COMMAND' }));
    expect(() => parseActuation('set', { ...set, sensor: 'a.b' })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ID' }));
    expect(() => parseActuation('power', { ...set, daemon: 'd1', on: 'yes' })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_COMMAND' }));
    expect(() => parseActuation('dance', set)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_COMMAND' }));
    expect(() => parseActuation('set', [set])).toThrow(expect.objectContaining({ code: 'ERR_INVALID_COMMAND' }));
  });
});
