import { matches, type Interaction } from '../actors/kinds/interactionConflicts.js';

export interface Firing {
  interactionId: string;
  target: string;
  value: number;
  readingValue: number;
  readingAt: number;
}

/**
 * The rule evaluator of the ECP interaction layer, pure: rules indexed by source (constant time
 * per reading), and for each rule whether its condition held at the previous reading, so a rule
 * fires on the edge — when its condition becomes true — not on every reading while it stays true.
 */
export class InteractionEngine {
  private bySource = new Map<string, Interaction[]>();
  private holding = new Map<string, boolean>();

  setRules(rules: Iterable<Interaction>): void {
    const next = new Map<string, Interaction[]>();
    const ids = new Set<string>();
    for (const r of rules) {
      if (!r.enabled) continue;
      ids.add(r.id);
      const list = next.get(r.when.source);
      if (list) list.push(r);
      else next.set(r.when.source, [r]);
    }
    this.bySource = next;
    // A removed or disabled rule starts from "not holding" when it comes back.
    for (const id of this.holding.keys()) if (!ids.has(id)) this.holding.delete(id);
  }

  rulesFor(source: string): readonly Interaction[] {
    return this.bySource.get(source) ?? [];
  }

  onReading(source: string, value: unknown, readingAt: number): Firing[] {
    const rules = this.bySource.get(source);
    if (!rules || typeof value !== 'number') return [];
    const fired: Firing[] = [];
    for (const r of rules) {
      const now = matches(r.when.op, r.when.value, value);
      const before = this.holding.get(r.id) ?? false;
      this.holding.set(r.id, now);
      if (now && !before) fired.push({ interactionId: r.id, target: r.then.target, value: r.then.value, readingValue: value, readingAt });
    }
    return fired;
  }
}
