import { describe, expect, it } from 'vitest';
import { DEFAULT_TIMESTAMP as NOW, deciderSpec } from '../../../test/helpers/decider.js';
import { nodeDecider, type NodeEvent } from './node.decider.js';
import type { Hardware } from './node.hardware.js';

const given = deciderSpec(nodeDecider, { id: 'node-1' });
const T1 = '2024-05-01T10:00:00.000Z';
const T2 = '2024-05-01T11:00:00.000Z';
const T3 = '2024-05-01T11:30:00.000Z';

const hardware: Hardware = {
  devices: [
    { id: 'motion', bus: 'i2c-1', address: 0x48, driver: 'pir', role: 'sensor' },
    { id: 'light', bus: 'gpio', address: '17', driver: 'relay', role: 'actuator' },
  ],
};
const registration = { serial: 'SN-0001', name: 'kitchen', description: 'by the window', hardware };
const registered: NodeEvent = { type: 'NodeRegistered', data: { ...registration, at: NOW } };
const online: NodeEvent = { type: 'NodeWentOnline', data: { at: T1 } };
const leading: NodeEvent = { type: 'LeadershipAcquired', data: { term: 3, at: T1 } };

describe('node decider', () => {
  describe('RegisterNode', () => {
    it('registers a node with its hardware description', () => {
      const state = given([]).when({ type: 'RegisterNode', data: registration }).then([registered]);
      expect(state.registered).toBe(true);
      expect(state.hardware?.devices.map((d) => d.id)).toEqual(['motion', 'light']);
      expect(state.status).toBe('UNKNOWN');
    });

    it('lets two devices share a bus address (one chip, several channels)', () => {
      const shared: Hardware = { devices: [{ ...hardware.devices[0]!, id: 'temp' }, { ...hardware.devices[0]!, id: 'humidity' }] };
      given([]).when({ type: 'RegisterNode', data: { ...registration, hardware: shared } }).then([{ type: 'NodeRegistered', data: { ...registration, hardware: shared, at: NOW } }]);
    });

    it('is idempotent when registered again with the same description', () => {
      given([registered]).when({ type: 'RegisterNode', data: registration }).thenNothingHappened();
    });

    it('refuses a different registration of a registered node', () => {
      given([registered]).when({ type: 'RegisterNode', data: { ...registration, serial: 'SN-0002' } }).thenRejects('ERR_NODE_ALREADY_REGISTERED', 'UpdateNode');
    });

    it('refuses duplicate device ids', () => {
      const dup = { devices: [hardware.devices[0], { ...hardware.devices[1], id: 'motion' }] };
      given([]).whenRaw('RegisterNode', { ...registration, hardware: dup }).thenRejects('ERR_DUPLICATE_DEVICE', 'motion');
    });

    it('refuses a device role other than sensor or actuator', () => {
      const bad = { devices: [{ ...hardware.devices[0], role: 'thermostat' }] };
      given([]).whenRaw('RegisterNode', { ...registration, hardware: bad }).thenRejects('ERR_INVALID_ROLE', 'hardware.devices[0].role');
    });

    it.each([
      ['no hardware', undefined, 'hardware'],
      ['devices not an array', { devices: {} }, 'hardware.devices'],
      ['a device that is not an object', { devices: [42] }, 'hardware.devices[0]'],
      ['a device id with a dot', { devices: [{ ...hardware.devices[0], id: 'a.b' }] }, 'hardware.devices[0].id'],
      ['a missing bus', { devices: [{ ...hardware.devices[0], bus: undefined }] }, 'hardware.devices[0].bus'],
      ['a negative address', { devices: [{ ...hardware.devices[0], address: -1 }] }, 'hardware.devices[0].address'],
      ['an empty driver', { devices: [{ ...hardware.devices[0], driver: '' }] }, 'hardware.devices[0].driver'],
    ])('refuses a hardware description with %s', (_, hw, field) => {
      given([]).whenRaw('RegisterNode', { ...registration, hardware: hw }).thenRejects('ERR_INVALID_HARDWARE', field);
    });

    it.each([
      ['serial', { ...registration, serial: 7 }],
      ['name', { ...registration, name: '  ' }],
      ['description', { ...registration, description: null }],
    ])('refuses a malformed %s', (field, data) => {
      given([]).whenRaw('RegisterNode', data).thenRejects('ERR_INVALID_COMMAND', `field ${field}`);
    });
  });

  describe('UpdateNode', () => {
    it('renames and redescribes a node', () => {
      given([registered]).when({ type: 'UpdateNode', data: { name: 'pantry' } }).then([{ type: 'NodeUpdated', data: { name: 'pantry', description: 'by the window', at: NOW } }]);
    });

    it('changes nothing when the values are the same', () => {
      given([registered]).when({ type: 'UpdateNode', data: { name: 'kitchen', description: 'by the window' } }).thenNothingHappened();
    });

    it('refuses an update with neither name nor description', () => {
      given([registered]).when({ type: 'UpdateNode', data: {} }).thenRejects('ERR_INVALID_COMMAND', 'name');
    });

    it('refuses any command before registration', () => {
      given([]).when({ type: 'UpdateNode', data: { name: 'x' } }).thenRejects('ERR_NODE_NOT_REGISTERED', 'RegisterNode');
      given([]).when({ type: 'Heartbeat', data: { at: T1 } }).thenRejects('ERR_NODE_NOT_REGISTERED');
    });
  });

  describe('online and offline', () => {
    it('goes online, refreshes last-seen on heartbeats, goes offline with a reason', () => {
      const s1 = given([registered]).when({ type: 'MarkOnline', data: { at: T1 } }).then([online]);
      expect(s1).toMatchObject({ status: 'ONLINE', lastSeen: T1 });
      const s2 = given([registered, online]).when({ type: 'Heartbeat', data: { at: T2 } }).then([{ type: 'NodeHeartbeatReceived', data: { at: T2 } }]);
      expect(s2.lastSeen).toBe(T2);
      const s3 = given([registered, online]).when({ type: 'MarkOffline', data: { at: T2, reason: 'mqtt will' } }).then([{ type: 'NodeWentOffline', data: { at: T2, reason: 'mqtt will' } }]);
      expect(s3).toMatchObject({ status: 'OFFLINE', offlineReason: 'mqtt will', lastSeen: T1 });
    });

    it('takes the time from the host when `at` is left out', () => {
      given([registered]).when({ type: 'MarkOnline', data: {} }).then([{ type: 'NodeWentOnline', data: { at: NOW } }]);
    });

    it('brings an offline node back online on a heartbeat', () => {
      const offline: NodeEvent = { type: 'NodeWentOffline', data: { at: T2, reason: null } };
      given([registered, online, offline]).when({ type: 'Heartbeat', data: { at: T3 } }).then([{ type: 'NodeWentOnline', data: { at: T3 } }]);
    });

    it('ignores a will or heartbeat older than the last status change', () => {
      const backOnline: NodeEvent = { type: 'NodeWentOnline', data: { at: T3 } };
      given([registered, backOnline]).when({ type: 'MarkOffline', data: { at: T2 } }).thenNothingHappened();
      given([registered, online]).when({ type: 'Heartbeat', data: { at: T1 } }).thenNothingHappened();
      given([registered, online]).when({ type: 'MarkOnline', data: { at: T2 } }).thenNothingHappened();
    });

    it('loses leadership when it goes offline while leading', () => {
      const state = given([registered, online, leading]).when({ type: 'MarkOffline', data: { at: T2 } }).then([
        { type: 'NodeWentOffline', data: { at: T2, reason: null } },
        { type: 'LeadershipReleased', data: { term: 3, at: T2, reason: 'went offline' } },
      ]);
      expect(state.leader).toBeNull();
      expect(state.highestTerm).toBe(3);
    });

    it('refuses a time that is not ISO-8601 with a zone', () => {
      given([registered]).whenRaw('MarkOnline', { at: '2024-05-01 10:00' }).thenRejects('ERR_INVALID_TIMESTAMP', 'field at');
      given([registered]).whenRaw('MarkOffline', { at: T1, reason: 5 }).thenRejects('ERR_INVALID_COMMAND', 'field reason');
    });
  });

  describe('leadership', () => {
    it('acquires leadership with a newer term', () => {
      const state = given([registered, online]).when({ type: 'AcquireLeadership', data: { term: 3, at: T1 } }).then([leading]);
      expect(state.leader).toEqual({ term: 3, since: T1 });
    });

    it('is idempotent for the term it already holds', () => {
      given([registered, online, leading]).when({ type: 'AcquireLeadership', data: { term: 3, at: T2 } }).thenNothingHappened();
    });

    it('refuses a term that is not newer than one already acquired (a stale leader)', () => {
      const released: NodeEvent = { type: 'LeadershipReleased', data: { term: 3, at: T2, reason: 'released' } };
      given([registered, online, leading, released]).when({ type: 'AcquireLeadership', data: { term: 3, at: T3 } }).thenRejects('ERR_STALE_TERM', 'term 3');
      given([registered, online, leading]).when({ type: 'AcquireLeadership', data: { term: 2, at: T3 } }).thenRejects('ERR_STALE_TERM');
    });

    it('refuses leadership for an offline node', () => {
      const offline: NodeEvent = { type: 'NodeWentOffline', data: { at: T2, reason: null } };
      given([registered, online, offline]).when({ type: 'AcquireLeadership', data: { term: 1, at: T3 } }).thenRejects('ERR_NODE_OFFLINE');
    });

    it.each([0, 1.5, '4', undefined])('refuses the term %j', (term) => {
      given([registered, online]).whenRaw('AcquireLeadership', { term, at: T1 }).thenRejects('ERR_INVALID_COMMAND', 'field term');
    });

    it('releases leadership, fenced by term', () => {
      const state = given([registered, online, leading]).when({ type: 'ReleaseLeadership', data: { term: 3, at: T2 } }).then([
        { type: 'LeadershipReleased', data: { term: 3, at: T2, reason: 'released' } },
      ]);
      expect(state.leader).toBeNull();
      given([registered, online, leading]).when({ type: 'ReleaseLeadership', data: { term: 2, at: T2 } }).thenRejects('ERR_STALE_TERM', 'current term 3');
    });

    it('changes nothing when releasing without leading', () => {
      given([registered, online]).when({ type: 'ReleaseLeadership', data: { at: T2 } }).thenNothingHappened();
    });
  });
});
