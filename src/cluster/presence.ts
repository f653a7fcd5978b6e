import { ErrorCode, type NatsConnection, type Subscription } from 'nats';
import { presenceSubject } from '../transport/subjects.js';

/**
 * Is a lease holder's process still there? Each process answers on its presence subject. A holder
 * killed outright has no subscription left the moment its connection drops, and NATS says so at
 * once ("no responders"): survivors then take its leases without waiting out the TTL. A holder
 * that is paused or merely slow still has its subscription, so it is waited for (its TTL decides).
 */
export interface Presence {
  /** True only on proof that nobody answers for `processId` (no responders); a timeout is not proof. */
  isGone(processId: string): Promise<boolean>;
  stop(): void;
}

export function startPresence(nc: NatsConnection, processId: string, opts: { timeoutMs?: number } = {}): Presence {
  const sub: Subscription = nc.subscribe(presenceSubject(processId), {
    callback: (err, msg) => {
      if (!err) msg.respond();
    },
  });
  return {
    async isGone(other) {
      if (other === processId) return false;
      try {
        await nc.request(presenceSubject(other), undefined, { timeout: opts.timeoutMs ?? 250, noMux: true });
        return false;
      } catch (e) {
        return (e as { code?: string }).code === ErrorCode.NoResponders;
      }
    },
    stop() {
      sub.unsubscribe();
    },
  };
}
