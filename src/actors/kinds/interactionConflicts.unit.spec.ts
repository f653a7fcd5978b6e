import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  conditionsOverlap,
  findConflicts,
  indexBySource,
  matches,
  overlapWitness,
  type ComparisonOp,
  type Condition,
  type Interaction,
  type RoleOf,
} from './interactionConflicts.js';

function rule(id: string, source: string, op: ComparisonOp, threshold: number, target: string, value: number, enabled = true): Interaction {
  return { id, enabled, when: { source, op, value: threshold }, then: { target, value } };
}

const MOTION = 'sensor/motion';
const LIGHT = 'sensor/light';
const roles: RoleOf = (address) => (address === MOTION || address === 'sensor/temp' ? 'sensor' : address.startsWith('sensor/') ? 'actuator' : undefined);

function kinds(candidate: Interaction, existing: Interaction[]): string[] {
  return findConflicts(candidate, existing, roles).map((c) => c.kind);
}

describe('matches', () => {
  it('compares a reading against a threshold with each operator', () => {
    expect([matches('>', 5, 6), matches('>', 5, 5), matches('>=', 5, 5), matches('<', 5, 5), matches('<=', 5, 5)]).toStrictEqual([true, false, true, false, true]);
    expect([matches('==', 5, 5), matches('==', 5, 5.0001), matches('!=', 5, 5), matches('!=', 5, 4)]).toStrictEqual([true, false, false, true]);
  });

  it('never matches a non-finite reading or threshold', () => {
    expect(matches('!=', 5, Number.NaN)).toBe(false);
    expect(matches('<', Number.NaN, 1)).toBe(false);
    expect(matches('>', 5, Infinity)).toBe(false);
  });
});

describe('findConflicts', () => {
  it('reports the seed flicker pair: motion > 5 turns the light on and off', () => {
    const on = rule('on', MOTION, '>', 5, LIGHT, 1);
    const off = rule('off', MOTION, '>', 5, LIGHT, 0);
    const conflicts = findConflicts(off, [on], roles);

    expect(conflicts).toHaveLength(1);
    expect(conflicts[0]).toMatchObject({ kind: 'flicker', interactions: ['off', 'on'] });
    expect(conflicts[0]!.reason).toContain(LIGHT);
  });

  it('reports overlapping ranges that set different values (> 5 and > 3)', () => {
    const conflicts = findConflicts(rule('a', MOTION, '>', 5, LIGHT, 1), [rule('b', MOTION, '>', 3, LIGHT, 0)], roles);
    expect(conflicts.map((c) => [c.kind, c.interactions])).toStrictEqual([['flicker', ['a', 'b']]]);
    expect(conflicts[0]!.reason).toMatch(/sensor\/motion = 6\b/);
  });

  it('allows non-overlapping ranges (> 5 → 1 and < 3 → 0)', () => {
    expect(kinds(rule('a', MOTION, '>', 5, LIGHT, 1), [rule('b', MOTION, '<', 3, LIGHT, 0)])).toStrictEqual([]);
  });

  it('treats touching endpoints by their openness (>= 5 and <= 5 meet at 5; > 5 and <= 5 do not)', () => {
    expect(kinds(rule('a', MOTION, '>=', 5, LIGHT, 1), [rule('b', MOTION, '<=', 5, LIGHT, 0)])).toStrictEqual(['flicker']);
    expect(findConflicts(rule('a', MOTION, '>=', 5, LIGHT, 1), [rule('b', MOTION, '<=', 5, LIGHT, 0)], roles)[0]!.reason).toContain('= 5,');
    expect(kinds(rule('a', MOTION, '>', 5, LIGHT, 1), [rule('b', MOTION, '<=', 5, LIGHT, 0)])).toStrictEqual([]);
    expect(kinds(rule('a', MOTION, '==', 5, LIGHT, 1), [rule('b', MOTION, '!=', 5, LIGHT, 0)])).toStrictEqual([]);
    expect(kinds(rule('a', MOTION, '==', 5, LIGHT, 1), [rule('b', MOTION, '>=', 5, LIGHT, 0)])).toStrictEqual(['flicker']);
  });

  it('allows the same target driven to the same value, and different targets or sources', () => {
    expect(kinds(rule('a', MOTION, '>', 5, LIGHT, 1), [rule('b', MOTION, '>', 3, LIGHT, 1)])).toStrictEqual([]);
    expect(kinds(rule('a', MOTION, '>', 5, LIGHT, 1), [rule('b', MOTION, '>', 3, 'sensor/fan', 0)])).toStrictEqual([]);
    expect(kinds(rule('a', MOTION, '>', 5, LIGHT, 1), [rule('b', 'sensor/temp', '>', 5, LIGHT, 0)])).toStrictEqual([]);
  });

  it('ignores disabled interactions and the stored version of the candidate itself', () => {
    const off = rule('off', MOTION, '>', 5, LIGHT, 0);
    expect(kinds(off, [rule('on', MOTION, '>', 5, LIGHT, 1, false)])).toStrictEqual([]);
    expect(kinds(rule('on', MOTION, '>', 5, LIGHT, 0), [rule('on', MOTION, '>', 5, LIGHT, 1)])).toStrictEqual([]);
    expect(kinds(rule('on', MOTION, '>', 5, LIGHT, 1, false), [off])).toStrictEqual([]);
  });

  it('refuses a sensor as target, even for a disabled interaction', () => {
    const conflicts = findConflicts(rule('r', LIGHT, '>', 0, 'sensor/temp', 1, false), [], roles);
    expect(conflicts).toStrictEqual([{ kind: 'read-only-target', interactions: ['r'], reason: expect.stringContaining('sensor/temp') }]);
    expect(kinds(rule('r', LIGHT, '>', 0, 'sensor/unknown-role', 1), [])).toStrictEqual([]);
  });

  it('reports a three-rule cycle with every interaction on it, in order', () => {
    const ab = rule('ab', 'sensor/a', '>', 0, 'sensor/b', 1);
    const bc = rule('bc', 'sensor/b', '>', 0, 'sensor/c', 1);
    const ca = rule('ca', 'sensor/c', '>', 0, 'sensor/a', 1);
    const conflicts = findConflicts(ca, [bc, ab, rule('unrelated', 'sensor/x', '>', 0, 'sensor/y', 1)], roles);

    expect(conflicts).toHaveLength(1);
    expect(conflicts[0]).toMatchObject({ kind: 'cycle', interactions: ['ca', 'ab', 'bc'] });
    expect(conflicts[0]!.reason).toContain('sensor/c → sensor/a (ca) → sensor/b (ab) → sensor/c (bc)');
    expect(kinds(ca, [bc, rule('ab', 'sensor/a', '>', 0, 'sensor/b', 1, false)])).toStrictEqual([]);
  });

  it('reports a self-loop (source == target) as a one-rule cycle', () => {
    expect(findConflicts(rule('self', LIGHT, '==', 1, LIGHT, 0), [], roles)).toStrictEqual([
      { kind: 'cycle', interactions: ['self'], reason: expect.stringContaining('own source') },
    ]);
  });

  it('reports several conflicts at once', () => {
    const candidate = rule('c', 'sensor/fan', '>', 1, 'sensor/fan', 0);
    expect(kinds(candidate, [rule('d', 'sensor/fan', '>=', 2, 'sensor/fan', 1)]).sort()).toStrictEqual(['cycle', 'flicker']);
  });
});

describe('indexBySource', () => {
  it('groups enabled interactions by source, keeping their order', () => {
    const a = rule('a', MOTION, '>', 1, LIGHT, 1);
    const b = rule('b', 'sensor/temp', '>', 1, LIGHT, 1);
    const c = rule('c', MOTION, '<', 1, LIGHT, 0);
    const index = indexBySource([a, b, rule('off', MOTION, '>', 0, LIGHT, 1, false), c]);

    expect([...index.keys()]).toStrictEqual([MOTION, 'sensor/temp']);
    expect(index.get(MOTION)).toStrictEqual([a, c]);
    expect(index.get('sensor/none')).toBeUndefined();
  });
});

const op = fc.constantFrom<ComparisonOp>('>', '>=', '<', '<=', '==', '!=');
// Integer thresholds: the reals split into the thresholds and the open gaps between them, and the
// samples below hit each of those pieces, so sampling decides overlap exactly.
const condition: fc.Arbitrary<Condition> = fc.record({ op, value: fc.integer({ min: -4, max: 4 }) });

function bruteForceOverlap(a: Condition, b: Condition): boolean {
  const lo = Math.min(a.value, b.value);
  const hi = Math.max(a.value, b.value);
  const samples = [a.value, b.value, lo - 0.5, (lo + hi) / 2, hi + 0.5, -1e9, 1e9];
  return samples.some((x) => matches(a.op, a.value, x) && matches(b.op, b.value, x));
}

describe('interaction conflict properties', () => {
  it('condition overlap agrees with brute-force sampling, and its witness satisfies both', () => {
    fc.assert(
      fc.property(condition, condition, (a, b) => {
        expect(conditionsOverlap(a, b)).toBe(bruteForceOverlap(a, b));
        const w = overlapWitness(a, b);
        if (w !== undefined) expect(matches(a.op, a.value, w) && matches(b.op, b.value, w)).toBe(true);
      }),
    );
  });

  it('the flicker relation between two rules is symmetric and matches brute force', () => {
    const twoRules = fc.tuple(condition, condition, fc.constantFrom(LIGHT, 'sensor/fan'), fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: 1 }), fc.constantFrom(MOTION, 'sensor/temp'));
    fc.assert(
      fc.property(twoRules, ([ca, cb, targetB, va, vb, sourceB]) => {
        const a = rule('a', MOTION, ca.op, ca.value, LIGHT, va);
        const b = rule('b', sourceB, cb.op, cb.value, targetB, vb);
        const ab = findConflicts(a, [b], roles).filter((c) => c.kind === 'flicker');
        const ba = findConflicts(b, [a], roles).filter((c) => c.kind === 'flicker');
        expect(ab.length).toBe(ba.length);
        const expected = sourceB === MOTION && targetB === LIGHT && va !== vb && bruteForceOverlap(ca, cb);
        expect(ab.length).toBe(expected ? 1 : 0);
        if (expected) expect([ab[0]!.interactions, ba[0]!.interactions]).toStrictEqual([['a', 'b'], ['b', 'a']]);
      }),
    );
  });

  it('reports a cycle exactly when the target reaches the source, and the cycle is a real loop', () => {
    const node = fc.constantFrom('sensor/a', 'sensor/b', 'sensor/c', 'sensor/d');
    const edge = fc.record({ source: node, target: node, enabled: fc.boolean() });
    fc.assert(
      fc.property(fc.array(edge, { maxLength: 8 }), edge, (edges, c) => {
        const existing = edges.map((e, k) => rule(`r${k}`, e.source, '>', 0, e.target, 1, e.enabled));
        const candidate = rule('cand', c.source, '>', 0, c.target, 1);
        // Reachability by repeated relaxation over enabled edges.
        const reach = new Set([c.target]);
        for (let changed = true; changed; ) {
          changed = false;
          for (const e of edges) {
            if (e.enabled && reach.has(e.source) && !reach.has(e.target)) {
              reach.add(e.target);
              changed = true;
            }
          }
        }
        const cycle = findConflicts(candidate, existing, roles).find((k) => k.kind === 'cycle');
        expect(cycle !== undefined).toBe(reach.has(c.source));
        if (cycle === undefined) return;
        const byId = new Map([candidate, ...existing].map((i) => [i.id, i]));
        const loop = cycle.interactions.map((id) => byId.get(id)!);
        expect(loop[0]).toBe(candidate);
        loop.forEach((i, k) => {
          expect(i.enabled).toBe(true);
          expect(i.then.target).toBe(loop[(k + 1) % loop.length]!.when.source);
        });
      }),
    );
  });
});
