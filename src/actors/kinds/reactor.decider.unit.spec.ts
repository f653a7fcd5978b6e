import { describe, expect, it } from 'vitest';
import { DEFAULT_TIMESTAMP as NOW, deciderSpec } from '../../../test/helpers/decider.js';
import { reactorDecider, type ReactorEvent } from './reactor.decider.js';

const given = deciderSpec(reactorDecider, { id: 'reactor-7' });
const T1 = '2024-05-01T10:00:00.000Z';
const T2 = '2024-05-01T10:00:05.000Z';
const T3 = '2024-05-01T10:00:10.000Z';

const temp = { id: 'temp', bus: 'i2c-1', address: 0x48, driver: 'tmp117' };
const ph = { id: 'ph', bus: 'i2c-1', address: 0x63, driver: 'ezo-ph' };
const online: ReactorEvent = { type: 'ReactorWentOnline', data: { at: T1 } };
const tempFound: ReactorEvent = { type: 'DeviceDiscovered', data: { deviceId: 'temp', bus: 'i2c-1', address: 0x48, driver: 'tmp117', at: T1 } };
const phFound: ReactorEvent = { type: 'DeviceDiscovered', data: { deviceId: 'ph', bus: 'i2c-1', address: 0x63, driver: 'ezo-ph', at: T1 } };
const wentOffline: ReactorEvent = { type: 'ReactorWentOffline', data: { at: T2, reason: 'connection lost', unknownDevices: ['temp', 'ph'] } };

describe('reactor decider', () => {
  describe('ReportDevices', () => {
    it('discovers the devices of a first scan and comes online with it', () => {
      const state = given([]).when({ type: 'ReportDevices', data: { devices: [temp, ph], at: T1 } }).then([online, tempFound, phFound]);
      expect(state.status).toBe('ONLINE');
      expect(Object.values(state.devices).map((d) => [d.id, d.status])).toEqual([['temp', 'ONLINE'], ['ph', 'ONLINE']]);
    });

    it('emits the diff: new devices discovered, missing ones removed, last-seen refreshed', () => {
      const co2 = { id: 'co2', bus: 'i2c-2', address: 0x61 };
      const state = given([online, tempFound, phFound]).when({ type: 'ReportDevices', data: { devices: [temp, co2], at: T2 } }).then([
        { type: 'DeviceDiscovered', data: { deviceId: 'co2', bus: 'i2c-2', address: 0x61, driver: null, at: T2 } },
        { type: 'DeviceRemoved', data: { deviceId: 'ph', reason: 'not reported by the reactor', at: T2 } },
        { type: 'ReactorSeen', data: { at: T2 } },
      ]);
      expect(Object.keys(state.devices).sort()).toEqual(['co2', 'temp']);
      expect(state.lastSeen).toBe(T2);
    });

    it('rediscovers a device found at a new address, and keeps a known driver a scan omits', () => {
      const { driver: _omitted, ...tempNoDriver } = temp;
      given([online, tempFound]).when({ type: 'ReportDevices', data: { devices: [tempNoDriver], at: T2 } }).then([{ type: 'ReactorSeen', data: { at: T2 } }]);
      given([online, tempFound]).when({ type: 'ReportDevices', data: { devices: [{ ...temp, address: 0x49 }], at: T2 } }).then([
        { type: 'DeviceDiscovered', data: { deviceId: 'temp', bus: 'i2c-1', address: 0x49, driver: 'tmp117', at: T2 } },
        { type: 'ReactorSeen', data: { at: T2 } },
      ]);
    });

    it('ignores a scan older than what is known', () => {
      const seen: ReactorEvent = { type: 'ReactorSeen', data: { at: T3 } };
      given([online, tempFound, seen]).when({ type: 'ReportDevices', data: { devices: [], at: T2 } }).thenNothingHappened();
    });

    it('changes nothing for a repeated scan at the same time', () => {
      given([online, tempFound]).when({ type: 'ReportDevices', data: { devices: [temp], at: T1 } }).thenNothingHappened();
    });

    it('refuses duplicate ids and malformed devices, keeping the devices it knows', () => {
      given([online, tempFound]).when({ type: 'ReportDevices', data: { devices: [temp, temp], at: T2 } }).thenRejects('ERR_DUPLICATE_DEVICE', 'temp');
      given([online]).whenRaw('ReportDevices', { devices: [{ id: 'x', address: 1 }], at: T2 }).thenRejects('ERR_INVALID_COMMAND', 'devices[0].bus');
      given([online]).whenRaw('ReportDevices', { devices: [{ ...temp, address: 1.5 }], at: T2 }).thenRejects('ERR_INVALID_COMMAND', 'devices[0].address');
      given([online]).whenRaw('ReportDevices', { devices: 'temp', at: T2 }).thenRejects('ERR_INVALID_COMMAND', 'field devices');
      given([online]).whenRaw('ReportDevices', { devices: [], at: 'yesterday' }).thenRejects('ERR_INVALID_TIMESTAMP');
    });
  });

  describe('offline and back', () => {
    it('turns every device UNKNOWN when the reactor goes offline', () => {
      const state = given([online, tempFound, phFound]).when({ type: 'MarkOffline', data: { at: T2, reason: 'connection lost' } }).then([wentOffline]);
      expect(state).toMatchObject({ status: 'OFFLINE', offlineReason: 'connection lost', lastSeen: T1 });
      expect(Object.values(state.devices).map((d) => d.status)).toEqual(['UNKNOWN', 'UNKNOWN']);
    });

    it('coming back online confirms no device; the next scan does', () => {
      const back: ReactorEvent = { type: 'ReactorWentOnline', data: { at: T3 } };
      const s1 = given([online, tempFound, phFound, wentOffline]).when({ type: 'MarkOnline', data: { at: T3 } }).then([back]);
      expect(s1.devices.temp?.status).toBe('UNKNOWN');
      const s2 = given([online, tempFound, phFound, wentOffline, back]).when({ type: 'ReportDevices', data: { devices: [temp], at: T3 } }).then([
        { type: 'DeviceRemoved', data: { deviceId: 'ph', reason: 'not reported by the reactor', at: T3 } },
        { type: 'DevicesConfirmed', data: { deviceIds: ['temp'], at: T3 } },
      ]);
      expect(s2.devices.temp?.status).toBe('ONLINE');
    });

    it('a scan from an offline reactor brings it online and confirms its devices', () => {
      given([online, tempFound, wentOffline]).when({ type: 'ReportDevices', data: { devices: [temp], at: T3 } }).then([
        { type: 'ReactorWentOnline', data: { at: T3 } },
        { type: 'DevicesConfirmed', data: { deviceIds: ['temp'], at: T3 } },
      ]);
    });

    it('heartbeats refresh last-seen, or bring an offline reactor back', () => {
      const s = given([online]).when({ type: 'Heartbeat', data: { at: T2 } }).then([{ type: 'ReactorSeen', data: { at: T2 } }]);
      expect(s.lastSeen).toBe(T2);
      given([online, wentOffline]).when({ type: 'Heartbeat', data: { at: T3 } }).then([{ type: 'ReactorWentOnline', data: { at: T3 } }]);
      given([online, wentOffline]).when({ type: 'Heartbeat', data: { at: T1 } }).thenNothingHappened();
    });

    it('ignores an offline report older than the last change, and a repeated one', () => {
      const back: ReactorEvent = { type: 'ReactorWentOnline', data: { at: T3 } };
      given([online, wentOffline, back]).when({ type: 'MarkOffline', data: { at: T2 } }).thenNothingHappened();
      given([online, wentOffline]).when({ type: 'MarkOffline', data: { at: T3 } }).thenNothingHappened();
      given([online]).when({ type: 'MarkOnline', data: { at: T2 } }).thenNothingHappened();
    });
  });

  describe('RemoveDevice', () => {
    it('removes a known device', () => {
      const state = given([online, tempFound, phFound]).when({ type: 'RemoveDevice', data: { deviceId: 'ph' } }).then([
        { type: 'DeviceRemoved', data: { deviceId: 'ph', reason: 'removed by operator', at: NOW } },
      ]);
      expect(state.devices.ph).toBeUndefined();
      expect(state.devices.temp).toBeDefined();
    });

    it('refuses an unknown device and a malformed id', () => {
      given([online, tempFound]).when({ type: 'RemoveDevice', data: { deviceId: 'ph' } }).thenRejects('ERR_DEVICE_NOT_FOUND', 'ph');
      given([online, tempFound]).whenRaw('RemoveDevice', { deviceId: 'a b' }).thenRejects('ERR_INVALID_COMMAND', 'field deviceId');
    });
  });
});
