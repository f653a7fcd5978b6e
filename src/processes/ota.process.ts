import type { Logger } from '../shared/logger.js';
import { actorOf, dataOf, reactionId } from './events.js';
import type { CommandSender, ProcessManager } from './processManager.js';

/** How long one firmware update attempt may take before it is failed and retried. */
export const DEFAULT_ATTEMPT_TIMEOUT_MS = 120_000;

interface Attempt {
  gateway: string;
  localId: string;
  commit: string;
  attempt: number;
  deadline: number;
}

/**
 * Drives gateway firmware updates (edge-node-manager's OTA, without its hangs): a new target
 * starts attempt 1; a failed attempt with retries left starts the next; an attempt past its
 * deadline is failed visibly ("timed out"), which in turn retries or gives up; an update whose
 * next attempt was refused because its device was offline resumes when the device is back. The gateway
 * decider owns the rules (attempt numbers, retries left); this only keeps time and asks.
 */
export function otaProcess(deps: { sender: CommandSender; logger: Logger; attemptTimeoutMs?: number; sweepMs?: number; now?: () => number }): ProcessManager {
  const timeoutMs = deps.attemptTimeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS;
  const now = deps.now ?? Date.now;
  const running = new Map<string, Attempt>();
  /** Updates between attempts (retries left), to resume when their device comes back online. */
  const waiting = new Map<string, { gateway: string; localId: string; commit: string; next: number }>();
  let sweep: NodeJS.Timeout | undefined;

  const start = (gateway: string, localId: string, commit: string, attempt: number) =>
    deps.sender
      .send('gateway', gateway, { id: reactionId('ota', gateway, localId, commit, attempt), type: 'StartUpdateAttempt', data: { localId, attempt, timeoutMs } })
      .then((r) => {
        if (!r.ok) deps.logger.warn({ gateway, localId, attempt, error: r.error }, 'update attempt not started');
      });

  const timeOut = (a: Attempt) =>
    deps.sender
      .send('gateway', a.gateway, {
        id: reactionId('ota-timeout', a.gateway, a.localId, a.commit, a.attempt),
        type: 'FailUpdateAttempt',
        data: { localId: a.localId, attempt: a.attempt, error: `Timed out: attempt ${a.attempt} did not complete within ${Math.round(timeoutMs / 1000)} s` },
      })
      .then((r) => {
        if (!r.ok && r.error.code !== 'ERR_WRONG_ATTEMPT' && r.error.code !== 'ERR_NO_UPDATE_IN_PROGRESS') deps.logger.warn({ ...a, error: r.error }, 'timed-out attempt not failed');
      });

  return {
    name: 'ota',
    kinds: ['gateway'],
    observe(e) {
      const { kind, id } = actorOf(e);
      if (kind !== 'gateway') return;
      const d = dataOf<{ localId: string; commit: string; attempt: number; deadline: string }>(e);
      const key = `${id}/${d.localId}`;
      if (e.type === 'UpdateAttemptStarted') {
        running.set(key, { gateway: id, localId: d.localId, commit: d.commit, attempt: d.attempt, deadline: Date.parse(d.deadline) });
        waiting.delete(key);
      } else if (e.type === 'UpdateCompleted' || e.type === 'UpdateFailed') {
        running.delete(key);
        waiting.delete(key);
      } else if (e.type === 'FirmwareTargetSet') {
        running.delete(key);
        waiting.set(key, { gateway: id, localId: d.localId, commit: d.commit, next: 1 });
      } else if (e.type === 'UpdateAttemptFailed') {
        running.delete(key);
        const f = dataOf<{ retriesLeft: number }>(e);
        if (f.retriesLeft > 0) waiting.set(key, { gateway: id, localId: d.localId, commit: d.commit, next: d.attempt + 1 });
        else waiting.delete(key);
      }
    },
    react(e) {
      const { kind, id } = actorOf(e);
      if (kind !== 'gateway') return undefined;
      if (e.type === 'FirmwareTargetSet') {
        const d = dataOf<{ localId: string; commit: string }>(e);
        return start(id, d.localId, d.commit, 1);
      }
      if (e.type === 'UpdateAttemptFailed') {
        const d = dataOf<{ localId: string; commit: string; attempt: number; retriesLeft: number }>(e);
        if (d.retriesLeft > 0) return start(id, d.localId, d.commit, d.attempt + 1);
      }
      // A device that was offline (so its next attempt was refused) is back: resume its update.
      const backOnline =
        (e.type === 'DependentDeviceStatusChanged' && dataOf<{ online: boolean }>(e).online ? [dataOf<{ localId: string }>(e).localId] : []).concat(
          e.type === 'DeviceStatusesRestated' ? dataOf<{ devices: Array<{ localId: string; online: boolean }> }>(e).devices.filter((d) => d.online).map((d) => d.localId) : [],
        );
      const resumed = backOnline.map((localId) => waiting.get(`${id}/${localId}`)).filter((w) => w !== undefined);
      if (resumed.length > 0) return Promise.all(resumed.map((w) => start(w.gateway, w.localId, w.commit, w.next))).then(() => undefined);
      return undefined;
    },
    start() {
      sweep = setInterval(() => {
        const t = now();
        for (const a of running.values()) if (a.deadline <= t) void timeOut(a);
      }, deps.sweepMs ?? Math.max(50, Math.min(1000, timeoutMs / 3)));
      sweep.unref();
    },
    stop() {
      clearInterval(sweep);
    },
  };
}
