import { describe, expect, it } from 'vitest';
import { DEFAULT_TIMESTAMP as NOW, deciderSpec } from '../../../test/helpers/decider.js';
import { blockDecider, type BlockEvent } from './block.decider.js';

const master = deciderSpec(blockDecider, { id: 'spark-master:master-sensor' });
const slave = deciderSpec(blockDecider, { id: 'spark-slave:dummy-sensor' });

const KEY = 'spark-master.master-sensor';
const slaveData = { targetvalue: 0, value: 0, nested: { target: { thing: 0 }, thang: 0 } };
const written: BlockEvent = { type: 'BlockWritten', data: { data: slaveData, at: NOW } };
const isMaster: BlockEvent = { type: 'BlockBecameMaster', data: { key: KEY, interval: 5, at: NOW } };
const isSlave: BlockEvent = { type: 'BlockBecameSlave', data: { key: KEY, translations: {}, at: NOW } };

describe('block decider', () => {
  describe('WriteBlock and PatchBlock', () => {
    it('replaces the data on a write', () => {
      const state = slave([written]).when({ type: 'WriteBlock', data: { data: { value: 1 } } }).then([{ type: 'BlockWritten', data: { data: { value: 1 }, at: NOW } }]);
      expect(state.data).toEqual({ value: 1 });
    });

    it('deep-merges a patch: the seed translation example lands exactly as documented', () => {
      // The patch the sync builds from master data through {value: targetvalue, nested/value: nested/target/value}.
      const patch = { targetvalue: 123, nested: { target: { value: 456 } } };
      const after = { targetvalue: 123, value: 0, nested: { target: { thing: 0, value: 456 }, thang: 0 } };
      const state = slave([written]).when({ type: 'PatchBlock', data: { data: patch } }).then([{ type: 'BlockPatched', data: { patch, data: after, at: NOW } }]);
      expect(state.data).toEqual(after);
    });

    it('lets a patch replace arrays and scalars whole, and patches an empty block', () => {
      const listed: BlockEvent = { type: 'BlockWritten', data: { data: { list: [1, 2, 3], n: { a: 1 } }, at: NOW } };
      slave([listed]).when({ type: 'PatchBlock', data: { data: { list: [9], n: 2 } } }).then([{ type: 'BlockPatched', data: { patch: { list: [9], n: 2 }, data: { list: [9], n: 2 }, at: NOW } }]);
      slave([]).when({ type: 'PatchBlock', data: { data: { a: { b: 1 } } } }).then([{ type: 'BlockPatched', data: { patch: { a: { b: 1 } }, data: { a: { b: 1 } }, at: NOW } }]);
    });

    it('records nothing when a write or patch leaves the data unchanged (a slave is written every broadcast)', () => {
      slave([written]).when({ type: 'WriteBlock', data: { data: { ...slaveData } } }).thenNothingHappened();
      slave([written]).when({ type: 'PatchBlock', data: { data: { nested: { thang: 0 } } } }).thenNothingHappened();
    });

    it.each([
      ['an array', [1, 2]],
      ['a string', 'x'],
      ['nothing', undefined],
      ['a non-finite number inside', { a: { b: Number.POSITIVE_INFINITY } }],
    ])('refuses block data that is %s', (_, data) => {
      slave([written]).whenRaw('WriteBlock', { data }).thenRejects('ERR_INVALID_BLOCK_DATA', 'field data');
      slave([written]).whenRaw('PatchBlock', { data }).thenRejects('ERR_INVALID_BLOCK_DATA');
    });

    it('refuses every command on an actor id that is not <service>:<blockId>', () => {
      const bad = deciderSpec(blockDecider, { id: 'master-sensor' });
      bad([]).when({ type: 'WriteBlock', data: { data: {} } }).thenRejects('ERR_INVALID_BLOCK_ID', '<service>:<blockId>');
      deciderSpec(blockDecider, { id: 'spark:' })([]).when({ type: 'StopSync', data: {} }).thenRejects('ERR_INVALID_BLOCK_ID');
    });
  });

  describe('BecomeMaster', () => {
    it("records the seed's dotted routing key and the interval", () => {
      const state = master([]).when({ type: 'BecomeMaster', data: { interval: 5 } }).then([isMaster]);
      expect(state.master).toEqual({ key: 'spark-master.master-sensor', interval: 5 });
    });

    it('changes the interval, and is idempotent for the same one', () => {
      master([isMaster]).when({ type: 'BecomeMaster', data: { interval: 5 } }).thenNothingHappened();
      master([isMaster]).when({ type: 'BecomeMaster', data: { interval: 0.5 } }).then([{ type: 'BlockBecameMaster', data: { key: KEY, interval: 0.5, at: NOW } }]);
    });

    it.each([0, -5, Number.NaN, '5', undefined, 86_401])('refuses the interval %j', (interval) => {
      master([]).whenRaw('BecomeMaster', { interval }).thenRejects('ERR_INVALID_INTERVAL', 'field interval');
    });

    it('refuses to make a slave a master', () => {
      slave([isSlave]).when({ type: 'BecomeMaster', data: { interval: 5 } }).thenRejects('ERR_BLOCK_IS_SLAVE', 'master and slave at once');
    });
  });

  describe('BecomeSlave', () => {
    it("follows a master's key, with or without translations", () => {
      const state = slave([written]).when({ type: 'BecomeSlave', data: { key: KEY, translations: {} } }).then([isSlave]);
      expect(state.slave).toEqual({ key: KEY, translations: {} });
      const translations = { value: 'targetvalue', 'nested/value': 'nested/target/value' };
      slave([]).when({ type: 'BecomeSlave', data: { key: KEY, translations } }).then([{ type: 'BlockBecameSlave', data: { key: KEY, translations, at: NOW } }]);
    });

    it('treats omitted translations as none, and the same slave setup as no change', () => {
      slave([]).whenRaw('BecomeSlave', { key: KEY }).then([isSlave]);
      slave([isSlave]).when({ type: 'BecomeSlave', data: { key: KEY, translations: {} } }).thenNothingHappened();
    });

    it('refuses to make a master a slave', () => {
      master([isMaster]).when({ type: 'BecomeSlave', data: { key: 'spark-x.other', translations: {} } }).thenRejects('ERR_BLOCK_IS_MASTER', 'master and slave at once');
    });

    it('refuses to be a slave of itself', () => {
      master([]).when({ type: 'BecomeSlave', data: { key: KEY, translations: {} } }).thenRejects('ERR_BLOCK_SLAVE_OF_ITSELF', KEY);
    });

    it.each(['spark-master:master-sensor', 'no-dot', 'a.b.c', '.b', 'a.', 'a b.c', 7])('refuses the key %j', (key) => {
      slave([]).whenRaw('BecomeSlave', { key, translations: {} }).thenRejects('ERR_INVALID_SYNC_KEY', 'field key');
    });

    it.each([
      ['not an object', ['value']],
      ['a non-string target', { value: 1 }],
      ['an empty segment', { 'nested//value': 'x' }],
      ['a trailing slash', { value: 'target/' }],
      ['two sources writing one target', { a: 'x', b: 'x' }],
      ['a target inside another target', { a: 'x', b: 'x/y' }],
    ])('refuses translations with %s', (_, translations) => {
      slave([]).whenRaw('BecomeSlave', { key: KEY, translations }).thenRejects('ERR_INVALID_TRANSLATION', 'field translations');
    });
  });

  describe('StopSync', () => {
    it('stops a master or a slave, after which it may take the other role', () => {
      const stopped = master([isMaster]).when({ type: 'StopSync', data: {} }).then([{ type: 'BlockSyncStopped', data: { role: 'master', key: KEY, at: NOW } }]);
      expect(stopped.master).toBeNull();
      slave([isSlave]).when({ type: 'StopSync', data: {} }).then([{ type: 'BlockSyncStopped', data: { role: 'slave', key: KEY, at: NOW } }]);
      const free: BlockEvent = { type: 'BlockSyncStopped', data: { role: 'slave', key: KEY, at: NOW } };
      slave([isSlave, free]).when({ type: 'BecomeMaster', data: { interval: 5 } }).then([{ type: 'BlockBecameMaster', data: { key: 'spark-slave.dummy-sensor', interval: 5, at: NOW } }]);
    });

    it('changes nothing when the block is not syncing', () => {
      slave([written]).when({ type: 'StopSync', data: {} }).thenNothingHappened();
    });
  });
});

describe('block decider: ApplySync (the block-sync process manager delivering a master broadcast)', () => {
  const masterData = { value: 123, other_value: 567, nested: { value: 456, other_value: 890 } };
  const translations = { value: 'targetvalue', 'nested/value': 'nested/target/value' };
  const translated: BlockEvent = { type: 'BlockBecameSlave', data: { key: KEY, translations, at: NOW } };
  const sync = (masterRevision: number) => ({ type: 'ApplySync' as const, data: { key: KEY, data: masterData, masterRevision, masterAt: NOW } });

  it('through a translation table: the seed worked example, master/slave before → after', () => {
    const after = { targetvalue: 123, value: 0, nested: { target: { value: 456, thing: 0 }, thang: 0 } };
    const state = slave([written, translated]).when(sync(7)).then([{ type: 'BlockSynced', data: { key: KEY, masterRevision: 7, masterAt: NOW, data: after, at: NOW } }]);
    expect(state.data).toEqual(after);
    expect(state.lastSync).toEqual({ key: KEY, masterRevision: 7, masterAt: NOW, at: NOW });
  });

  it('with an empty table the slave takes the master data whole', () => {
    slave([written, isSlave]).when(sync(1)).then([{ type: 'BlockSynced', data: { key: KEY, masterRevision: 1, masterAt: NOW, data: masterData, at: NOW } }]);
  });

  it('a master revision already mirrored (or older) is not applied again', () => {
    const synced: BlockEvent = { type: 'BlockSynced', data: { key: KEY, masterRevision: 7, masterAt: NOW, data: masterData, at: NOW } };
    slave([written, isSlave, synced]).when(sync(7)).thenNothingHappened();
    slave([written, isSlave, synced]).when(sync(6)).thenNothingHappened();
  });

  it('is refused on a block that is not a slave of that key', () => {
    slave([written]).when(sync(1)).thenRejects('ERR_BLOCK_NOT_SLAVE');
    slave([written, { type: 'BlockBecameSlave', data: { key: 'other.block', translations: {}, at: NOW } }]).when(sync(1)).thenRejects('ERR_BLOCK_NOT_SLAVE');
    master([isMaster]).when(sync(1)).thenRejects('ERR_BLOCK_NOT_SLAVE');
  });

  it('refuses a malformed broadcast', () => {
    slave([isSlave]).when({ type: 'ApplySync', data: { key: KEY, data: masterData, masterRevision: -1, masterAt: NOW } }).thenRejects('ERR_INVALID_COMMAND');
    slave([isSlave]).when({ type: 'ApplySync', data: { key: KEY, data: masterData, masterRevision: 1, masterAt: 'yesterday' } }).thenRejects('ERR_INVALID_COMMAND');
  });
});
