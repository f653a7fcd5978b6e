import type { EventMetadata } from '../eventstore/eventStore.js';

/** What a decider receives: the command plus where and when it happens (never read a clock). */
export interface Command<Type extends string = string, Data = Record<string, unknown>> {
  type: Type;
  data: Data;
  metadata: CommandMetadata;
}

export interface CommandMetadata {
  commandId: string;
  /** ISO-8601 time the host began deciding it. */
  timestamp: string;
  kind: string;
  id: string;
  correlationId?: string;
  causationId?: string;
}

export interface DomainEvent<Type extends string = string, Data = unknown> {
  type: Type;
  data: Data;
}

/**
 * An actor kind: data plus three pure functions. `decide` returns the events a command
 * produces, or throws a DomainRejection; `evolve` folds one event into the state.
 * `version` names the state's shape: change it when `evolve` changes so snapshots are rebuilt.
 */
export interface Decider<State = unknown, C extends Command = Command, E extends DomainEvent = DomainEvent> {
  kind: string;
  version: string;
  commandTypes: readonly C['type'][];
  initialState: () => State;
  decide: (command: C, state: State) => E[];
  evolve: (state: State, event: E) => State;
}

// Deciders are stored type-erased in the registry; each decider checks its own command types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyDecider = Decider<any, any, any>;

export type { EventMetadata };
