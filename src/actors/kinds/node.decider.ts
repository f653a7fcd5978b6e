import type { Command, Decider } from '../decider.js';
import { applySeen, applyStatus, initialLiveness, shouldTransition, signOfLife, type LivenessState } from './liveness.js';
import { parseHardware, sameHardware, type Hardware } from './node.hardware.js';
import { allOf, at, contextOf, ignoreUnknownEvent, num, reject, str, unknownCommand, type Ctx } from './validate.js';

/**
 * An ECP node: a machine with a hardware description, online/offline as MQTT wills and
 * heartbeats report it, and leadership when it runs the control plane (fenced by term).
 *
 * - `MarkOnline` / `MarkOffline` come from the liveness manager (connect, will, lease expiry);
 *   `Heartbeat` is a sign of life that also brings an offline node back.
 * - Reports older than the last status change are stale and change nothing.
 * - A node that goes offline while leading loses leadership in the same decision.
 */
export type NodeCommand =
  | Command<'RegisterNode', { serial: string; name: string; description: string; hardware: Hardware }>
  | Command<'UpdateNode', { name?: string; description?: string }>
  | Command<'MarkOnline', { at?: string }>
  | Command<'MarkOffline', { at?: string; reason?: string }>
  | Command<'Heartbeat', { at?: string }>
  | Command<'AcquireLeadership', { term: number; at?: string }>
  | Command<'ReleaseLeadership', { term?: number; at?: string }>;

export type NodeEvent =
  | { type: 'NodeRegistered'; data: { serial: string; name: string; description: string; hardware: Hardware; at: string } }
  | { type: 'NodeUpdated'; data: { name: string; description: string; at: string } }
  | { type: 'NodeWentOnline'; data: { at: string } }
  | { type: 'NodeWentOffline'; data: { at: string; reason: string | null } }
  | { type: 'NodeHeartbeatReceived'; data: { at: string } }
  | { type: 'LeadershipAcquired'; data: { term: number; at: string } }
  | { type: 'LeadershipReleased'; data: { term: number; at: string; reason: 'released' | 'went offline' } };

export interface NodeState extends LivenessState {
  registered: boolean;
  serial: string | null;
  name: string;
  description: string;
  hardware: Hardware | null;
  offlineReason: string | null;
  leader: { term: number; since: string } | null;
  /** The highest term ever acquired: a lower or equal one is a stale leader's. */
  highestTerm: number;
}

const initialState = (): NodeState => ({
  ...initialLiveness(),
  registered: false,
  serial: null,
  name: '',
  description: '',
  hardware: null,
  offlineReason: null,
  leader: null,
  highestTerm: 0,
});

function register(ctx: Ctx, state: NodeState): NodeEvent[] {
  const serial = str(ctx, 'serial', { max: 128 });
  const name = str(ctx, 'name', { max: 256 });
  const description = str(ctx, 'description', { allowEmpty: true, max: 4096 });
  const hardware = parseHardware(ctx);
  if (state.registered) {
    const same = state.serial === serial && state.name === name && state.description === description && sameHardware(state.hardware, hardware);
    if (same) return [];
    reject(ctx, 'ERR_NODE_ALREADY_REGISTERED', `node is already registered (serial ${state.serial}); use UpdateNode to rename it`, { serial: state.serial });
  }
  return [{ type: 'NodeRegistered', data: { serial, name, description, hardware, at: ctx.now } }];
}

function update(ctx: Ctx, state: NodeState): NodeEvent[] {
  const name = str(ctx, 'name', { optional: true, max: 256 });
  const description = str(ctx, 'description', { optional: true, allowEmpty: true, max: 4096 });
  if (name === undefined && description === undefined) reject(ctx, 'ERR_INVALID_COMMAND', 'give a name, a description or both');
  const next = { name: name ?? state.name, description: description ?? state.description };
  if (next.name === state.name && next.description === state.description) return [];
  return [{ type: 'NodeUpdated', data: { ...next, at: ctx.now } }];
}

function markOffline(ctx: Ctx, state: NodeState): NodeEvent[] {
  const when = at(ctx);
  const reason = str(ctx, 'reason', { optional: true, max: 512 }) ?? null;
  if (!shouldTransition(state, 'OFFLINE', when)) return [];
  const events: NodeEvent[] = [{ type: 'NodeWentOffline', data: { at: when, reason } }];
  if (state.leader) events.push({ type: 'LeadershipReleased', data: { term: state.leader.term, at: when, reason: 'went offline' } });
  return events;
}

function acquire(ctx: Ctx, state: NodeState): NodeEvent[] {
  const term = num(ctx, 'term', { integer: true, min: 1 });
  const when = at(ctx);
  if (state.leader?.term === term) return [];
  if (term <= state.highestTerm) {
    reject(ctx, 'ERR_STALE_TERM', `term ${term} is not newer than term ${state.highestTerm} already acquired (a stale leader)`, { term, highestTerm: state.highestTerm });
  }
  if (state.status === 'OFFLINE') reject(ctx, 'ERR_NODE_OFFLINE', 'an offline node cannot lead; mark it online first');
  return [{ type: 'LeadershipAcquired', data: { term, at: when } }];
}

function release(ctx: Ctx, state: NodeState): NodeEvent[] {
  const term = ctx.data.term === undefined ? undefined : num(ctx, 'term', { integer: true, min: 1 });
  const when = at(ctx);
  if (!state.leader) return [];
  if (term !== undefined && term !== state.leader.term) {
    reject(ctx, 'ERR_STALE_TERM', `term ${term} is not the current term ${state.leader.term}; only the current leader may release`, { term, current: state.leader.term });
  }
  return [{ type: 'LeadershipReleased', data: { term: state.leader.term, at: when, reason: 'released' } }];
}

const commandTypes = allOf<NodeCommand['type']>({
  RegisterNode: true,
  UpdateNode: true,
  MarkOnline: true,
  MarkOffline: true,
  Heartbeat: true,
  AcquireLeadership: true,
  ReleaseLeadership: true,
});

function decide(command: NodeCommand, state: NodeState): NodeEvent[] {
  const ctx = contextOf(command, commandTypes);
  if (command.type !== 'RegisterNode' && !state.registered) reject(ctx, 'ERR_NODE_NOT_REGISTERED', 'the node is not registered; send RegisterNode first');
  switch (command.type) {
    case 'RegisterNode':
      return register(ctx, state);
    case 'UpdateNode':
      return update(ctx, state);
    case 'MarkOnline': {
      const when = at(ctx);
      return shouldTransition(state, 'ONLINE', when) ? [{ type: 'NodeWentOnline', data: { at: when } }] : [];
    }
    case 'MarkOffline':
      return markOffline(ctx, state);
    case 'Heartbeat': {
      const when = at(ctx);
      const seen = signOfLife(state, when);
      if (seen === 'none') return [];
      return [seen === 'online' ? { type: 'NodeWentOnline', data: { at: when } } : { type: 'NodeHeartbeatReceived', data: { at: when } }];
    }
    case 'AcquireLeadership':
      return acquire(ctx, state);
    case 'ReleaseLeadership':
      return release(ctx, state);
    default:
      return unknownCommand('node', command);
  }
}

function evolve(state: NodeState, event: NodeEvent): NodeState {
  switch (event.type) {
    case 'NodeRegistered': {
      const { serial, name, description, hardware } = event.data;
      return { ...state, registered: true, serial, name, description, hardware };
    }
    case 'NodeUpdated':
      return { ...state, name: event.data.name, description: event.data.description };
    case 'NodeWentOnline':
      return { ...applyStatus(state, 'ONLINE', event.data.at), offlineReason: null };
    case 'NodeWentOffline':
      return { ...applyStatus(state, 'OFFLINE', event.data.at), offlineReason: event.data.reason };
    case 'NodeHeartbeatReceived':
      return applySeen(state, event.data.at);
    case 'LeadershipAcquired':
      return { ...state, leader: { term: event.data.term, since: event.data.at }, highestTerm: Math.max(state.highestTerm, event.data.term) };
    case 'LeadershipReleased':
      return { ...state, leader: null };
    default:
      return ignoreUnknownEvent(state, event);
  }
}

export const nodeDecider: Decider<NodeState, NodeCommand, NodeEvent> = {
  kind: 'node',
  version: '1',
  commandTypes,
  initialState,
  decide,
  evolve,
};
