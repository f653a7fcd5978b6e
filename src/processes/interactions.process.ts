import { interactionsDecider, type InteractionsState } from '../actors/kinds/interactions.decider.js';
import type { Logger } from '../shared/logger.js';
import { actorOf, dataOf, reactionId, timeOf } from './events.js';
import { InteractionEngine, type Firing } from './interactionEngine.js';
import type { CommandSender, ProcessManager } from './processManager.js';
import { DEFAULT_ACTUATION_TTL_MS } from './actuations.process.js';

/**
 * The ECP interaction layer at run time. The rule table is the `interactions` actor's state,
 * folded here with its own decider's `evolve`; each reading is evaluated against its source's
 * rules; a rule that becomes true sends `SetValue` to its target (command id from the reading's
 * event and the rule, so a repeated reaction appends nothing), and when the edge confirms the
 * value, the firing is recorded with its end-to-end latency (reading time → confirmation).
 */
export function interactionsProcess(deps: { sender: CommandSender; logger: Logger; actuationTtlMs?: number; actorId?: string }): ProcessManager {
  const tableId = deps.actorId ?? 'default';
  const ttl = deps.actuationTtlMs ?? DEFAULT_ACTUATION_TTL_MS;
  const engine = new InteractionEngine();
  let table: InteractionsState = interactionsDecider.initialState();
  const firingsByReading = new Map<string, Firing[]>();
  const awaitingConfirmation = new Map<string, Firing & { actuatedAt?: string }>();
  const confirmed = new Map<string, { firing: Firing & { actuatedAt?: string }; at: string }>();

  return {
    name: 'interactions',
    kinds: ['interactions', 'sensor'],
    observe(e) {
      const { kind, id } = actorOf(e);
      if (kind === 'interactions' && id === tableId) {
        table = interactionsDecider.evolve(table, e as Parameters<typeof interactionsDecider.evolve>[1]);
        engine.setRules(Object.values(table.interactions));
      } else if (kind === 'sensor') {
        if (e.type === 'ReadingRecorded') {
          const fired = engine.onReading(`sensor/${id}`, dataOf<{ value: unknown }>(e).value, timeOf(e));
          if (fired.length > 0) firingsByReading.set(e.id, fired);
        } else if (e.type === 'ValueRequested') {
          const d = dataOf<{ requestId: string; requestedAt: string }>(e);
          const f = awaitingConfirmation.get(d.requestId);
          if (f) f.actuatedAt = d.requestedAt;
        } else if (e.type === 'DesiredValueConfirmed') {
          const d = dataOf<{ requestId: string; at: string }>(e);
          const f = awaitingConfirmation.get(d.requestId);
          if (f) {
            awaitingConfirmation.delete(d.requestId);
            confirmed.set(e.id, { firing: f, at: d.at });
          }
        } else if (e.type === 'DesiredValueExpired' || e.type === 'DesiredValueSuperseded') {
          awaitingConfirmation.delete(dataOf<{ requestId: string }>(e).requestId);
        }
      }
    },
    react(e) {
      const fired = firingsByReading.get(e.id);
      if (fired) {
        firingsByReading.delete(e.id);
        return Promise.all(fired.map((f) => fire(f, e.id))).then(() => undefined);
      }
      const done = confirmed.get(e.id);
      if (done) {
        confirmed.delete(e.id);
        return record(done.firing, done.at, e.id);
      }
      return undefined;
    },
  };

  async function fire(f: Firing, readingEventId: string): Promise<void> {
    const requestId = reactionId('ix', f.interactionId, readingEventId);
    awaitingConfirmation.set(requestId, { ...f });
    const target = f.target.slice('sensor/'.length);
    const r = await deps.sender.send('sensor', target, {
      id: requestId,
      type: 'SetValue',
      data: { value: f.value, expiresAt: new Date(f.readingAt + ttl).toISOString() },
      causationId: reactionId('evt', readingEventId),
    });
    if (!r.ok) {
      awaitingConfirmation.delete(requestId);
      deps.logger.warn({ interaction: f.interactionId, target: f.target, error: r.error }, 'interaction fired but its target refused the value');
    }
  }

  async function record(f: Firing & { actuatedAt?: string }, confirmedAt: string, eventId: string): Promise<void> {
    const latencyMs = Math.max(0, Date.parse(confirmedAt) - f.readingAt);
    const r = await deps.sender.send('interactions', tableId, {
      id: reactionId('firing', eventId),
      type: 'RecordFiring',
      data: {
        interactionId: f.interactionId,
        readingValue: f.readingValue,
        readingAt: new Date(f.readingAt).toISOString(),
        actuatedAt: f.actuatedAt ?? confirmedAt,
        latencyMs,
      },
    });
    if (!r.ok) deps.logger.warn({ interaction: f.interactionId, error: r.error }, 'firing not recorded');
  }
}
