import { isOlder, ms } from './validate.js';

/**
 * Online/offline bookkeeping shared by nodes, reactors and sensors. Reports arrive late and
 * out of order (MQTT wills, store-and-forward), so a report older than the last status change
 * changes nothing instead of flipping the status back.
 */
export type Liveness = 'ONLINE' | 'OFFLINE' | 'UNKNOWN';

export interface LivenessState {
  status: Liveness;
  /** The newest time anything was heard from it. */
  lastSeen: string | null;
  /** When `status` last changed: reports older than this are stale. */
  statusChangedAt: string | null;
}

export const initialLiveness = (): LivenessState => ({ status: 'UNKNOWN', lastSeen: null, statusChangedAt: null });

/** Whether moving to `to` at `at` is a change: not when already there, not when the report is stale. */
export const shouldTransition = (s: LivenessState, to: Liveness, at: string): boolean => s.status !== to && !isOlder(at, s.statusChangedAt);

/**
 * What a sign of life (heartbeat, reading, report) at `at` means: bring it online, refresh
 * last-seen, or nothing (already known, or older than the last status change).
 */
export function signOfLife(s: LivenessState, at: string): 'online' | 'seen' | 'none' {
  if (s.status !== 'ONLINE') return shouldTransition(s, 'ONLINE', at) ? 'online' : 'none';
  return s.lastSeen === null || ms(at) > ms(s.lastSeen) ? 'seen' : 'none';
}

export function applyStatus<S extends LivenessState>(s: S, status: Liveness, at: string): S {
  return { ...s, status, statusChangedAt: at, lastSeen: status === 'ONLINE' ? latest(s.lastSeen, at) : s.lastSeen };
}

export function applySeen<S extends LivenessState>(s: S, at: string): S {
  return { ...s, lastSeen: latest(s.lastSeen, at) };
}

export const latest = (a: string | null, b: string): string => (a === null || ms(b) > ms(a) ? b : a);
