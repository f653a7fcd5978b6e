import { headers as natsHeaders } from 'nats';
import type { Logger } from '../shared/logger.js';
import type { JetStreamPublisher } from '../transport/jetstreamPublisher.js';
import { HEADER, edgeSubject } from '../transport/subjects.js';
import { actorOf, dataOf } from './events.js';
import type { ProcessManager } from './processManager.js';

/** Without an expiry of its own, an actuation is stale after this long and boards drop it. */
export const DEFAULT_ACTUATION_TTL_MS = 60_000;

const encoder = new TextEncoder();

/**
 * The edge outbox: what the domain decided a board must do is published to that board's
 * `ep.edge.…` subject through JetStream (kept for a board that is reconnecting), with
 * `Nats-Msg-Id` = the request id so a republish after a crash is dropped, and an expiry.
 */
export function actuationsProcess(deps: { publisher: JetStreamPublisher; logger: Logger; ttlMs?: number }): ProcessManager {
  const ttl = deps.ttlMs ?? DEFAULT_ACTUATION_TTL_MS;
  const parents = new Map<string, { kind: string; id: string }>();
  const publish = (subject: string, msgId: string, body: unknown) => {
    const h = natsHeaders();
    h.set(HEADER.msgId, msgId);
    return deps.publisher.publish(subject, encoder.encode(JSON.stringify(body)), h).then(() => undefined);
  };
  return {
    name: 'actuations',
    kinds: ['sensor', 'daemon', 'gateway'],
    observe(e) {
      if (e.type === 'SensorAttached') {
        const parent = dataOf<{ parent: string }>(e).parent;
        const slash = parent.indexOf('/');
        parents.set(actorOf(e).id, { kind: parent.slice(0, slash), id: parent.slice(slash + 1) });
      }
    },
    react(e) {
      const actor = actorOf(e);
      if (actor.kind === 'sensor' && e.type === 'ValueRequested') {
        const d = dataOf<{ requestId: string; value: unknown; requestedAt: string; expiresAt: string | null }>(e);
        const board = parents.get(actor.id);
        if (!board) {
          deps.logger.warn({ sensor: actor.id }, 'actuation for a sensor with no known board: not published');
          return;
        }
        const expiresAt = d.expiresAt ?? new Date(Date.parse(d.requestedAt) + ttl).toISOString();
        return publish(edgeSubject(board.kind, board.id, 'set'), d.requestId, { sensor: actor.id, requestId: d.requestId, value: d.value, requestedAt: d.requestedAt, expiresAt });
      }
      if (actor.kind === 'daemon' && e.type === 'PowerSwitchRequested') {
        const d = dataOf<{ requestId: string; on: boolean; at: string }>(e);
        return publish(edgeSubject('daemon', actor.id, 'power'), d.requestId, {
          daemon: actor.id,
          requestId: d.requestId,
          on: d.on,
          requestedAt: d.at,
          expiresAt: new Date(Date.parse(d.at) + ttl).toISOString(),
        });
      }
      if (actor.kind === 'gateway' && e.type === 'UpdateAttemptStarted') {
        const d = dataOf<{ localId: string; commit: string; attempt: number; timeoutMs: number; deadline: string; at: string }>(e);
        return publish(edgeSubject('gateway', actor.id, 'ota'), e.id, { gateway: actor.id, ...d });
      }
      return undefined;
    },
  };
}
