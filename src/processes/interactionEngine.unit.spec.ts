import { describe, expect, it } from 'vitest';
import type { Interaction } from '../actors/kinds/interactionConflicts.js';
import { InteractionEngine } from './interactionEngine.js';

const rule = (id: string, source: string, op: Interaction['when']['op'], value: number, target: string, to: number, enabled = true): Interaction => ({
  id,
  enabled,
  when: { source, op, value },
  then: { target, value: to },
});

describe('interaction engine', () => {
  it('fires on the edge: when the condition becomes true, not on every reading while it stays true', () => {
    const e = new InteractionEngine();
    e.setRules([rule('r1', 'sensor/motion', '>', 5, 'sensor/light', 1)]);
    const fired = [3, 6, 7, 9, 2, 8].map((v, i) => e.onReading('sensor/motion', v, i).length);
    expect(fired).toEqual([0, 1, 0, 0, 0, 1]);
  });

  it('evaluates only the rules of the reading source, and only enabled ones', () => {
    const e = new InteractionEngine();
    e.setRules([rule('a', 'sensor/m1', '>=', 1, 'sensor/l1', 1), rule('b', 'sensor/m2', '>=', 1, 'sensor/l2', 1), rule('c', 'sensor/m1', '<', 0, 'sensor/l3', 0, false)]);
    expect(e.onReading('sensor/m1', 1, 10)).toEqual([{ interactionId: 'a', target: 'sensor/l1', value: 1, readingValue: 1, readingAt: 10 }]);
    expect(e.onReading('sensor/m1', -1, 11)).toEqual([]);
    expect(e.rulesFor('sensor/m2').map((r) => r.id)).toEqual(['b']);
  });

  it('ignores non-numeric readings and forgets the state of removed rules', () => {
    const e = new InteractionEngine();
    e.setRules([rule('r', 'sensor/s', '==', 1, 'sensor/t', 0)]);
    expect(e.onReading('sensor/s', 'on', 0)).toEqual([]);
    expect(e.onReading('sensor/s', 1, 1)).toHaveLength(1);
    e.setRules([]);
    e.setRules([rule('r', 'sensor/s', '==', 1, 'sensor/t', 0)]);
    expect(e.onReading('sensor/s', 1, 2)).toHaveLength(1);
  });
});
