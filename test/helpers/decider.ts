import { expect } from 'vitest';
import type { Command, CommandMetadata, Decider, DomainEvent } from '../../src/actors/decider.js';
import { isDomainRejection } from '../../src/shared/errors.js';

/**
 * Given/when/then for deciders, in Emmett's style:
 *
 *   const given = deciderSpec(sensorDecider, { id: 'temp-1' });
 *   given([attached]).when({ type: 'SetValue', data: { value: 1 } }).thenRejects('ERR_SENSOR_READ_ONLY');
 *
 * `when` is typed by the decider's command union; `whenRaw` takes any data, for malformed input.
 * Every outcome is checked the way the host would see it: events survive a JSON round trip
 * (they are stored as JSON), evolve accepts them, and a rejection names the actor it refused.
 */
export const DEFAULT_TIMESTAMP = '2024-05-01T12:00:00.000Z';

export interface SpecOptions {
  id: string;
  timestamp?: string;
  commandId?: string;
}

type Typed<C extends Command> = C extends Command ? { type: C['type']; data: C['data']; metadata?: Partial<CommandMetadata> } : never;

export interface Outcome<S, E> {
  /** Asserts exactly these events, in order; returns the state after them. */
  then(expected: E[]): S;
  thenNothingHappened(): S;
  /** Asserts a DomainRejection with `code` whose message names the actor (and matches `message`). */
  thenRejects(code: string, message?: string | RegExp): void;
}

export function deciderSpec<S, C extends Command, E extends DomainEvent>(decider: Decider<S, C, E>, options: SpecOptions) {
  const metadataFor = (extra?: Partial<CommandMetadata>): CommandMetadata => ({
    commandId: options.commandId ?? 'cmd-1',
    timestamp: options.timestamp ?? DEFAULT_TIMESTAMP,
    kind: decider.kind,
    id: options.id,
    ...extra,
  });

  return function given(history: E[] = []) {
    const before = () => history.reduce((s, e) => decider.evolve(s, e), decider.initialState());

    const outcome = (command: C): Outcome<S, E> => ({
      then(expected) {
        const state = before();
        const produced = decider.decide(command, state);
        expect(produced).toEqual(expected);
        expect(JSON.parse(JSON.stringify(produced))).toEqual(produced);
        const after = produced.reduce((s, e) => decider.evolve(s, e), state);
        // Snapshots store state as JSON too: what is folded must survive it unchanged.
        expect(JSON.parse(JSON.stringify(after))).toEqual(after);
        return after;
      },
      thenNothingHappened() {
        return this.then([]);
      },
      thenRejects(code, message) {
        const state = before();
        let thrown: unknown;
        let produced: E[] | undefined;
        try {
          produced = decider.decide(command, state);
        } catch (err) {
          thrown = err;
        }
        expect(produced, `expected a rejection ${code}, got events`).toBeUndefined();
        expect(isDomainRejection(thrown), `expected a DomainRejection, got ${String(thrown)}`).toBe(true);
        const err = thrown as Error & { code: string };
        expect(err.code).toBe(code);
        expect(err.message).toContain(`${decider.kind}/${command.metadata.id}`);
        if (typeof message === 'string') expect(err.message).toContain(message);
        else if (message) expect(err.message).toMatch(message);
      },
    });

    return {
      when(command: Typed<C>) {
        return outcome({ type: command.type, data: command.data, metadata: metadataFor(command.metadata) } as C);
      },
      whenRaw(type: C['type'], data: unknown, metadata?: Partial<CommandMetadata>) {
        return outcome({ type, data, metadata: metadataFor(metadata) } as unknown as C);
      },
    };
  };
}

/** The state a history folds to, for assertions on state alone. */
export function stateAfter<S, C extends Command, E extends DomainEvent>(decider: Decider<S, C, E>, history: E[]): S {
  return history.reduce((s, e) => decider.evolve(s, e), decider.initialState());
}
