/**
 * ECP interactions ("if sensor/motion > 5 then sensor/light = 1") and the conflicts that make a
 * new or updated one unsafe to accept:
 * - flicker: two enabled interactions on the same source whose conditions can hold at the same
 *   time drive the same target to different values, so the target thrashes (the seed's example);
 * - read-only-target: the target is a sensor, which cannot be set;
 * - cycle: following source → target through enabled interactions leads back to the start, so
 *   interactions trigger each other (or one triggers itself) without an outside change.
 *
 * Conditions are compared as sets of real numbers: `>`/`<` open half-lines, `>=`/`<=` closed ones,
 * `==` a single point, `!=` everything but a point. Thresholds and readings are meant to be finite
 * (the interaction decider validates them); a non-finite one matches nothing, here and in `matches`,
 * so the engine and the checker agree. Cycles are structural: a loop is refused even if the values
 * would happen to settle, because other rules and users also change those values.
 */

export type ComparisonOp = '>' | '>=' | '<' | '<=' | '==' | '!=';

export interface Condition {
  readonly op: ComparisonOp;
  readonly value: number;
}

export interface Interaction {
  readonly id: string;
  readonly enabled: boolean;
  /** `source` is a device address, `sensor/<id>`. */
  readonly when: Condition & { readonly source: string };
  /** `target` is a device address, `sensor/<id>`. */
  readonly then: { readonly target: string; readonly value: number };
}

export type DeviceRole = 'sensor' | 'actuator';

/** What a device address is; `undefined` for an address nobody described (not judged here). */
export type RoleOf = (address: string) => DeviceRole | undefined;

export type ConflictKind = 'flicker' | 'read-only-target' | 'cycle';

export interface Conflict {
  readonly kind: ConflictKind;
  /** The candidate first, then the interactions it conflicts with (for a cycle, in cycle order). */
  readonly interactions: string[];
  readonly reason: string;
}

/** Whether a reading `value` satisfies `op threshold`; used by the interaction engine. */
export function matches(op: ComparisonOp, threshold: number, value: number): boolean {
  if (!Number.isFinite(threshold) || !Number.isFinite(value)) return false;
  switch (op) {
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
    case '==':
      return value === threshold;
    case '!=':
      return value !== threshold;
    default:
      return unknownOp(op);
  }
}

function unknownOp(op: never): never {
  throw new TypeError(`unknown comparison operator ${JSON.stringify(op)}`);
}

/** An interval of the reals; infinite ends are always open. */
interface Interval {
  readonly lo: number;
  readonly loClosed: boolean;
  readonly hi: number;
  readonly hiClosed: boolean;
}

function conditionSet({ op, value: v }: Condition): Interval[] {
  if (!Number.isFinite(v)) return [];
  const below = (hiClosed: boolean): Interval => ({ lo: -Infinity, loClosed: false, hi: v, hiClosed });
  const above = (loClosed: boolean): Interval => ({ lo: v, loClosed, hi: Infinity, hiClosed: false });
  switch (op) {
    case '>':
      return [above(false)];
    case '>=':
      return [above(true)];
    case '<':
      return [below(false)];
    case '<=':
      return [below(true)];
    case '==':
      return [{ lo: v, loClosed: true, hi: v, hiClosed: true }];
    case '!=':
      return [below(false), above(false)];
    default:
      return unknownOp(op);
  }
}

function intersect(a: Interval, b: Interval): Interval | undefined {
  // At equal ends the intersection keeps an end only if both intervals include it.
  const lo = Math.max(a.lo, b.lo);
  const loClosed = (a.lo === lo ? a.loClosed : true) && (b.lo === lo ? b.loClosed : true);
  const hi = Math.min(a.hi, b.hi);
  const hiClosed = (a.hi === hi ? a.hiClosed : true) && (b.hi === hi ? b.hiClosed : true);
  if (lo < hi || (lo === hi && loClosed && hiClosed)) return { lo, loClosed, hi, hiClosed };
  return undefined;
}

/** A point strictly inside (or on a closed end of) a non-empty interval, for messages. */
function pointIn(i: Interval): number {
  if (i.loClosed) return i.lo;
  if (i.hiClosed) return i.hi;
  if (Number.isFinite(i.lo) && Number.isFinite(i.hi)) return i.lo / 2 + i.hi / 2;
  if (Number.isFinite(i.lo)) return stepAway(i.lo, 1);
  if (Number.isFinite(i.hi)) return stepAway(i.hi, -1);
  return 0;
}

/** One unit past `x`, or further where one unit is lost to float precision. */
function stepAway(x: number, direction: 1 | -1): number {
  return x + direction === x ? x + direction * Math.abs(x) : x + direction;
}

/** A value at which both conditions hold, or `undefined` when they never hold together. */
export function overlapWitness(a: Condition, b: Condition): number | undefined {
  for (const x of conditionSet(a)) {
    for (const y of conditionSet(b)) {
      const both = intersect(x, y);
      if (both !== undefined) return pointIn(both);
    }
  }
  return undefined;
}

/** Whether some real reading satisfies both conditions. */
export function conditionsOverlap(a: Condition, b: Condition): boolean {
  return overlapWitness(a, b) !== undefined;
}

/** Enabled interactions by source address, in their given order: the engine's O(1) lookup. */
export function indexBySource(interactions: Iterable<Interaction>): Map<string, Interaction[]> {
  const index = new Map<string, Interaction[]>();
  for (const i of interactions) {
    if (!i.enabled) continue;
    const list = index.get(i.when.source);
    if (list === undefined) index.set(i.when.source, [i]);
    else list.push(i);
  }
  return index;
}

function describeWhen(i: Interaction): string {
  return `${i.id} (${i.when.source} ${i.when.op} ${i.when.value})`;
}

function flickerWith(candidate: Interaction, other: Interaction): Conflict | undefined {
  if (other.when.source !== candidate.when.source || other.then.target !== candidate.then.target) return undefined;
  if (other.then.value === candidate.then.value) return undefined;
  const at = overlapWitness(candidate.when, other.when);
  if (at === undefined) return undefined;
  return {
    kind: 'flicker',
    interactions: [candidate.id, other.id],
    reason:
      `${describeWhen(candidate)} and ${describeWhen(other)} both hold when ${candidate.when.source} = ${at}, ` +
      `and set ${candidate.then.target} to ${candidate.then.value} and ${other.then.value}: it would flicker`,
  };
}

/** The shortest path of interactions from `from` to `to` (breadth first), or undefined. */
function shortestPath(index: Map<string, Interaction[]>, from: string, to: string): Interaction[] | undefined {
  const via = new Map<string, Interaction | null>([[from, null]]);
  const queue = [from];
  for (let head = 0; head < queue.length; head++) {
    const node = queue[head]!;
    if (node === to) {
      const path: Interaction[] = [];
      for (let step = via.get(node); step != null; step = via.get(step.when.source)) path.unshift(step);
      return path;
    }
    for (const edge of index.get(node) ?? []) {
      if (via.has(edge.then.target)) continue;
      via.set(edge.then.target, edge);
      queue.push(edge.then.target);
    }
  }
  return undefined;
}

function cycleThrough(candidate: Interaction, index: Map<string, Interaction[]>): Conflict | undefined {
  const back = shortestPath(index, candidate.then.target, candidate.when.source);
  if (back === undefined) return undefined;
  const cycle = [candidate, ...back];
  const route = [candidate.when.source, ...cycle.map((i) => `${i.then.target} (${i.id})`)].join(' → ');
  return {
    kind: 'cycle',
    interactions: cycle.map((i) => i.id),
    reason: cycle.length === 1 ? `${candidate.id} sets its own source: ${route}` : `interactions trigger each other in a loop: ${route}`,
  };
}

/**
 * Every conflict accepting `candidate` would create among `existing`. Disabled interactions, and
 * the stored version of the candidate (same id, when updating), are ignored. A disabled candidate
 * can only fail the read-only check: it fires nothing until it is enabled, which is checked again.
 * Only cycles through the candidate are reported: the existing set was already checked.
 */
export function findConflicts(candidate: Interaction, existing: Iterable<Interaction>, roles: RoleOf): Conflict[] {
  const conflicts: Conflict[] = [];
  if (roles(candidate.then.target) === 'sensor') {
    conflicts.push({
      kind: 'read-only-target',
      interactions: [candidate.id],
      reason: `${candidate.id} sets ${candidate.then.target}, which is a sensor and read-only`,
    });
  }
  if (!candidate.enabled) return conflicts;
  const others: Interaction[] = [];
  for (const i of existing) if (i.id !== candidate.id) others.push(i);
  const index = indexBySource(others);
  for (const other of index.get(candidate.when.source) ?? []) {
    const flicker = flickerWith(candidate, other);
    if (flicker !== undefined) conflicts.push(flicker);
  }
  const cycle = cycleThrough(candidate, index);
  if (cycle !== undefined) conflicts.push(cycle);
  return conflicts;
}
