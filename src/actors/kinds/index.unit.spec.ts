import { describe, expect, it } from 'vitest';
import { createRegistry } from '../registry.js';
import { isDomainRejection } from '../../shared/errors.js';
import { builtinDeciders } from './index.js';

describe('builtin deciders', () => {
  it('are the seven kinds, and the registry accepts them', () => {
    const registry = createRegistry(builtinDeciders);
    expect(registry.kinds().sort()).toEqual(['block', 'daemon', 'gateway', 'interactions', 'node', 'reactor', 'sensor']);
  });

  // Every listed command must reach its case: with empty data it is decided or refused by a
  // domain rule, never reported as a command the decider does not know.
  it.each(builtinDeciders.map((d) => [d.kind, d] as const))('%s handles every command type it lists', (kind, decider) => {
    expect(new Set(decider.commandTypes).size).toBe(decider.commandTypes.length);
    for (const type of decider.commandTypes) {
      const command = { type, data: {}, metadata: { commandId: 'c1', timestamp: '2024-05-01T12:00:00.000Z', kind, id: 'svc:x' } };
      try {
        decider.decide(command, decider.initialState());
      } catch (err) {
        expect(isDomainRejection(err), `${kind} ${type}: ${String(err)}`).toBe(true);
        expect((err as { code: string }).code).not.toBe('ERR_UNKNOWN_COMMAND');
      }
    }
  });
});

describe('a command type a kind does not list', () => {
  it.each(builtinDeciders.map((d) => [d.kind, d] as const))('%s refuses it as unknown, before any domain rule', (kind, decider) => {
    const command = { type: 'Explode', data: {}, metadata: { commandId: 'c1', timestamp: '2024-05-01T12:00:00.000Z', kind, id: 'svc:x' } };
    expect(() => decider.decide(command, decider.initialState())).toThrow(expect.objectContaining({ code: 'ERR_UNKNOWN_COMMAND' }));
  });
});
