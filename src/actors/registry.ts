import { ConfigError, UnknownCommandError, UnknownKindError } from '../shared/errors.js';
import { validateKind } from '../shared/ids.js';
import { validateTypeName } from '../transport/subjects.js';
import type { AnyDecider } from './decider.js';

export interface DeciderRegistry {
  get(kind: string): AnyDecider;
  has(kind: string): boolean;
  kinds(): string[];
  /** Throws UnknownKindError / UnknownCommandError. */
  check(kind: string, commandType: string): AnyDecider;
}

export function createRegistry(deciders: readonly AnyDecider[]): DeciderRegistry {
  const byKind = new Map<string, { decider: AnyDecider; commands: Set<string> }>();
  for (const d of deciders) {
    validateKind(d.kind);
    if (byKind.has(d.kind)) throw new ConfigError(`actor kind ${d.kind} registered twice`);
    for (const t of d.commandTypes) validateTypeName(t, 'command type');
    byKind.set(d.kind, { decider: d, commands: new Set(d.commandTypes) });
  }
  const entry = (kind: string) => {
    const e = byKind.get(kind);
    if (!e) throw new UnknownKindError(kind, [...byKind.keys()]);
    return e;
  };
  return {
    get: (kind) => entry(kind).decider,
    has: (kind) => byKind.has(kind),
    kinds: () => [...byKind.keys()],
    check(kind, commandType) {
      const e = entry(kind);
      if (!e.commands.has(commandType)) throw new UnknownCommandError(kind, commandType);
      return e.decider;
    },
  };
}
