import type { Command, Decider } from '../decider.js';
import { deepMerge, isJson, isPlainObject, jsonEqual, translationProblem, type JsonObject, type Translations } from './block.merge.js';
import { applySync } from './blockTranslation.js';
import { allOf, contextOf, ignoreUnknownEvent, invalid, num, reject, show, unknownCommand, type Ctx } from './validate.js';

/**
 * A Brewblox Spark block. The actor id is `<service>:<blockId>` (ids cannot hold dots); the
 * routing key of the seed, `<service>.<blockId>`, is derived from it and recorded when the
 * block becomes a master. A master broadcasts its data every `interval` seconds; a slave takes a
 * master's key and is written whole (no translations) or patched through its translation table
 * by the block-sync process manager. A block is never master and slave at once.
 *
 * Writes that leave the data unchanged produce no event: a slave is written on every broadcast.
 */
export type BlockCommand =
  | Command<'WriteBlock', { data: JsonObject }>
  | Command<'PatchBlock', { data: JsonObject }>
  | Command<'BecomeMaster', { interval: number }>
  | Command<'BecomeSlave', { key: string; translations: Translations }>
  | Command<'StopSync', Record<string, never>>
  | Command<'ApplySync', { key: string; data: JsonObject; masterRevision: number; masterAt: string }>;

export type BlockEvent =
  | { type: 'BlockWritten'; data: { data: JsonObject; at: string } }
  | { type: 'BlockPatched'; data: { patch: JsonObject; data: JsonObject; at: string } }
  | { type: 'BlockBecameMaster'; data: { key: string; interval: number; at: string } }
  | { type: 'BlockBecameSlave'; data: { key: string; translations: Translations; at: string } }
  | { type: 'BlockSyncStopped'; data: { role: 'master' | 'slave'; key: string; at: string } }
  | { type: 'BlockSynced'; data: { key: string; masterRevision: number; masterAt: string; data: JsonObject; at: string } };

export interface BlockState {
  data: JsonObject | null;
  master: { key: string; interval: number } | null;
  slave: { key: string; translations: Translations } | null;
  /** The master revision last mirrored into this slave. */
  lastSync: { key: string; masterRevision: number; masterAt: string; at: string } | null;
}

const initialState = (): BlockState => ({ data: null, master: null, slave: null, lastSync: null });

/** The seed's routing key for a block actor id: `spark-master:master-sensor` → `spark-master.master-sensor`. */
export function routingKeyOf(ctx: Ctx): string {
  const colon = ctx.id.indexOf(':');
  if (colon <= 0 || colon === ctx.id.length - 1) {
    reject(ctx, 'ERR_INVALID_BLOCK_ID', 'a block actor id must be <service>:<blockId>, e.g. spark-master:master-sensor', { id: ctx.id });
  }
  return `${ctx.id.slice(0, colon)}.${ctx.id.slice(colon + 1)}`;
}

const KEY = /^[A-Za-z0-9_\-:@]+\.[A-Za-z0-9_\-:@]+$/;
export const MAX_INTERVAL_SECONDS = 86_400;

function blockData(ctx: Ctx): JsonObject {
  const data = ctx.data.data;
  if (!isPlainObject(data)) invalid(ctx, 'data', `must be an object of block fields (got ${show(data)})`, 'ERR_INVALID_BLOCK_DATA');
  if (!isJson(data)) invalid(ctx, 'data', 'must be plain JSON (finite numbers, at most 32 levels deep)', 'ERR_INVALID_BLOCK_DATA');
  return data as JsonObject;
}

function becomeMaster(ctx: Ctx, state: BlockState, key: string): BlockEvent[] {
  const interval = num(ctx, 'interval', { max: MAX_INTERVAL_SECONDS, code: 'ERR_INVALID_INTERVAL' });
  if (interval <= 0) invalid(ctx, 'interval', `must be more than 0 seconds (got ${interval})`, 'ERR_INVALID_INTERVAL');
  if (state.slave) reject(ctx, 'ERR_BLOCK_IS_SLAVE', `it is a slave of ${state.slave.key}; a block cannot be master and slave at once (StopSync first)`, { key: state.slave.key });
  if (state.master?.interval === interval) return [];
  return [{ type: 'BlockBecameMaster', data: { key, interval, at: ctx.now } }];
}

function becomeSlave(ctx: Ctx, state: BlockState, ownKey: string): BlockEvent[] {
  const key = ctx.data.key;
  if (typeof key !== 'string' || !KEY.test(key)) invalid(ctx, 'key', `must be a routing key <service>.<blockId> (got ${show(key)})`, 'ERR_INVALID_SYNC_KEY');
  const raw = ctx.data.translations ?? {};
  if (!isPlainObject(raw) || !Object.values(raw).every((v) => typeof v === 'string')) {
    invalid(ctx, 'translations', `must map master paths to slave paths, both strings (got ${show(raw)})`, 'ERR_INVALID_TRANSLATION');
  }
  const translations = raw as Translations;
  const problem = translationProblem(translations);
  if (problem) invalid(ctx, 'translations', problem, 'ERR_INVALID_TRANSLATION');
  if (key === ownKey) reject(ctx, 'ERR_BLOCK_SLAVE_OF_ITSELF', `a block cannot be a slave of its own key ${key}`, { key });
  if (state.master) reject(ctx, 'ERR_BLOCK_IS_MASTER', `it is a master (key ${state.master.key}); a block cannot be master and slave at once (StopSync first)`, { key: state.master.key });
  if (state.slave?.key === key && jsonEqual(state.slave.translations, translations)) return [];
  return [{ type: 'BlockBecameSlave', data: { key, translations, at: ctx.now } }];
}

const commandTypes = allOf<BlockCommand['type']>({ WriteBlock: true, PatchBlock: true, BecomeMaster: true, BecomeSlave: true, StopSync: true, ApplySync: true });

/**
 * The block-sync process manager delivers a master's data: applied whole when the translation
 * table is empty, otherwise through it (the seed's `a/b/c` paths). A master revision already
 * mirrored is not applied again, so a repeated broadcast is free.
 */
function applyMasterData(ctx: Ctx, state: BlockState): BlockEvent[] {
  const key = ctx.data.key;
  if (!state.slave || state.slave.key !== key) {
    reject(ctx, 'ERR_BLOCK_NOT_SLAVE', `it is not a slave of ${show(key)}${state.slave ? ` (it follows ${state.slave.key})` : ''}`, { key });
  }
  const master = blockData(ctx);
  const masterRevision = num(ctx, 'masterRevision', { integer: true, min: 0 });
  const masterAt = ctx.data.masterAt;
  if (typeof masterAt !== 'string' || Number.isNaN(Date.parse(masterAt))) invalid(ctx, 'masterAt', `must be an ISO time (got ${show(masterAt)})`);
  if (state.lastSync && state.lastSync.key === key && state.lastSync.masterRevision >= masterRevision) return [];
  const data = applySync(state.data ?? {}, master, state.slave.translations) as JsonObject;
  return [{ type: 'BlockSynced', data: { key: state.slave.key, masterRevision, masterAt: new Date(masterAt as string).toISOString(), data, at: ctx.now } }];
}

function decide(command: BlockCommand, state: BlockState): BlockEvent[] {
  const ctx = contextOf(command, commandTypes);
  const key = routingKeyOf(ctx);
  switch (command.type) {
    case 'WriteBlock': {
      const data = blockData(ctx);
      return state.data !== null && jsonEqual(state.data, data) ? [] : [{ type: 'BlockWritten', data: { data, at: ctx.now } }];
    }
    case 'PatchBlock': {
      const patch = blockData(ctx);
      const merged = deepMerge(state.data ?? {}, patch);
      return state.data !== null && jsonEqual(state.data, merged) ? [] : [{ type: 'BlockPatched', data: { patch, data: merged, at: ctx.now } }];
    }
    case 'BecomeMaster':
      return becomeMaster(ctx, state, key);
    case 'BecomeSlave':
      return becomeSlave(ctx, state, key);
    case 'ApplySync':
      return applyMasterData(ctx, state);
    case 'StopSync': {
      const role = state.master ? 'master' : state.slave ? 'slave' : null;
      const syncKey = state.master?.key ?? state.slave?.key;
      return role && syncKey ? [{ type: 'BlockSyncStopped', data: { role, key: syncKey, at: ctx.now } }] : [];
    }
    default:
      return unknownCommand('block', command);
  }
}

function evolve(state: BlockState, event: BlockEvent): BlockState {
  switch (event.type) {
    case 'BlockWritten':
    case 'BlockPatched':
      return { ...state, data: event.data.data };
    case 'BlockBecameMaster':
      return { ...state, master: { key: event.data.key, interval: event.data.interval }, slave: null };
    case 'BlockBecameSlave':
      return { ...state, slave: { key: event.data.key, translations: event.data.translations }, master: null, lastSync: null };
    case 'BlockSyncStopped':
      return { ...state, master: null, slave: null, lastSync: null };
    case 'BlockSynced':
      return { ...state, data: event.data.data, lastSync: { key: event.data.key, masterRevision: event.data.masterRevision, masterAt: event.data.masterAt, at: event.data.at } };
    default:
      return ignoreUnknownEvent(state, event);
  }
}

export const blockDecider: Decider<BlockState, BlockCommand, BlockEvent> = {
  kind: 'block',
  version: '2',
  commandTypes,
  initialState,
  decide,
  evolve,
};
