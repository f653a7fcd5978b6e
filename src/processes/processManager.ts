import type Database from 'better-sqlite3';
import type { CommandRequest, CommandResult } from '../actors/commandEnvelope.js';
import { kindFilters, type EventStore, type RecordedEvent } from '../eventstore/eventStore.js';
import type { Logger } from '../shared/logger.js';
import { createProgress } from '../shared/progress.js';

/** How a process manager sends commands: to the local actor host, or over the command bus. */
export interface CommandSender {
  send(kind: string, id: string, command: CommandRequest): Promise<CommandResult>;
}

/**
 * A process manager reacts to events with commands. `observe` sees every event from position 0
 * (to build what it needs to know: which blocks are masters, which rules exist, …); `react` is
 * called only for events after its checkpoint, so history is never acted on twice. Commands it
 * sends carry ids derived from the triggering event, so a reaction repeated after a crash
 * appends nothing.
 */
export interface ProcessManager {
  name: string;
  /** The actor kinds whose events it observes or reacts to; omitted: every kind. */
  kinds?: readonly string[];
  observe?(event: RecordedEvent): void;
  react?(event: RecordedEvent): Promise<void> | void;
  /** Called once caught up with history, then live: start timers here. */
  start?(): void;
  stop?(): void;
}

export interface ProcessRunner {
  position(): number;
  waitFor(position: number, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Runs process managers over `$all`: one subscription from position 0, reactions only past the
 * saved checkpoint (kept in the read-model database), checkpoint saved after each batch's
 * reactions have completed (at-least-once reactions, idempotent commands).
 */
export function startProcessManagers(opts: { store: EventStore; db: Database.Database; managers: readonly ProcessManager[]; logger: Logger }): ProcessRunner {
  const { store, db, managers, logger } = opts;
  db.exec('CREATE TABLE IF NOT EXISTS process_checkpoints (name TEXT PRIMARY KEY, position INTEGER NOT NULL)');
  const get = db.prepare('SELECT position FROM process_checkpoints WHERE name = ?').pluck();
  const put = db.prepare('INSERT INTO process_checkpoints (name, position) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET position = excluded.position');
  const checkpoint = (get.get('processes') as number | undefined) ?? 0;
  const progress = createProgress('process managers');
  let started = false;
  const abort = new AbortController();

  const startAll = () => {
    if (started) return;
    started = true;
    for (const m of managers) m.start?.();
  };

  const loop = (async () => {
    try {
      const head = await store.headPosition();
      if (head === 0) startAll();
      const { streamPrefixes, wants } = kindFilters(managers);
      const onCheckpoint = (through: number) => {
        progress.advance(through);
        if (!started && through >= head) startAll();
      };
      for await (const batch of store.subscribeAll({ after: 0, signal: abort.signal, streamPrefixes, onCheckpoint })) {
        // Reactions of a batch run concurrently (commands to one actor still queue in order in
        // its mailbox); the checkpoint moves only once all of them have completed.
        const reactions: Array<Promise<void>> = [];
        for (const event of batch) {
          for (let i = 0; i < managers.length; i++) if (wants[i]!(event)) managers[i]!.observe?.(event);
          if (event.position > checkpoint) {
            for (let i = 0; i < managers.length; i++) {
              const m = managers[i]!;
              if (!m.react || !wants[i]!(event)) continue;
              const failed = (err: unknown) => logger.error({ err, manager: m.name, event: event.id, type: event.type }, 'process manager reaction failed');
              try {
                // Called in event order (after this event's observe, before the next one's).
                const r = m.react(event);
                if (r) reactions.push(r.catch(failed));
              } catch (err) {
                failed(err);
              }
            }
          }
          if (!started && event.position >= head) startAll();
        }
        await Promise.all(reactions);
        const last = batch[batch.length - 1]!.position;
        if (last > checkpoint) put.run('processes', last);
        progress.advance(last);
      }
    } catch (err) {
      if (!abort.signal.aborted) logger.error({ err }, 'process managers stopped on an error');
    }
  })();

  return {
    position: () => progress.position,
    waitFor: (at, timeoutMs) => progress.waitFor(at, timeoutMs),
    async stop() {
      abort.abort();
      await loop;
      for (const m of managers) m.stop?.();
    },
  };
}
