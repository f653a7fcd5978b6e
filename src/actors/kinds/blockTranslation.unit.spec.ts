import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { applySync, compileTranslations, readPath, InvalidTranslationError, type BlockData, type TranslationTable } from './blockTranslation.js';

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** Every path to a leaf (a non-object value or an empty object). */
function leafPaths(data: unknown, prefix: string[] = []): string[][] {
  if (typeof data !== 'object' || data === null || Array.isArray(data) || Object.keys(data).length === 0) return [prefix];
  return Object.entries(data).flatMap(([k, v]) => leafPaths(v, [...prefix, k]));
}

function touchEveryNode(value: unknown): void {
  if (typeof value !== 'object' || value === null) return;
  for (const v of Object.values(value)) touchEveryNode(v);
  (value as Record<string, unknown>)['touched'] = true;
}

function isPrefix(a: readonly string[], b: readonly string[]): boolean {
  return a.length <= b.length && a.every((s, i) => s === b[i]);
}

// A small key alphabet so that generated tables hit, miss and overlap existing keys.
const key = fc.constantFrom('a', 'b', 'c', 'value', 'nested');
const leaf = fc.oneof(fc.integer(), fc.string({ maxLength: 3 }), fc.boolean(), fc.constant(null), fc.array(fc.integer(), { maxLength: 2 }));
const { tree } = fc.letrec<{ tree: BlockData }>((tie) => ({
  tree: fc.dictionary(key, fc.oneof({ depthSize: 'small' }, leaf, tie('tree')), { maxKeys: 4, noNullPrototype: true }),
}));
const path = fc.array(key, { minLength: 1, maxLength: 3 }).map((p) => p.join('/'));
const table: fc.Arbitrary<TranslationTable> = fc.dictionary(path, path, { minKeys: 1, maxKeys: 4, noNullPrototype: true });

describe('applySync', () => {
  it('reproduces the seed example exactly', () => {
    const translations = { value: 'targetvalue', 'nested/value': 'nested/target/value' };
    const master = { value: 123, other_value: 567, nested: { value: 456, other_value: 890 } };
    const slaveBefore = { targetvalue: 0, value: 0, nested: { target: { thing: 0 }, thang: 0 } };
    const slaveAfter = { targetvalue: 123, value: 0, nested: { target: { value: 456, thing: 0 }, thang: 0 } };

    expect(applySync(slaveBefore, master, translations)).toStrictEqual(slaveAfter);
  });

  it('replaces the slave data with a copy of the master data when the table is empty', () => {
    const master = { value: 123, nested: { value: 456 } };
    const result = applySync({ value: 0, only_on_slave: 1 }, master, {});

    expect(result).toStrictEqual(master);
    expect(result).not.toBe(master);
    expect(result.nested).not.toBe(master.nested);
  });

  it('skips an entry whose master path is missing, leaving the slave key untouched', () => {
    const result = applySync({ t: 7, u: 1 }, { nested: 5 }, { missing: 't', 'nested/value': 'u' });

    expect(result).toStrictEqual({ t: 7, u: 1 });
  });

  it('replaces a non-object intermediate slave node by an object', () => {
    const result = applySync({ a: 3, b: [1, 2], c: null, keep: 1 }, { v: 9 }, { v: 'a/x' });
    expect(result).toStrictEqual({ a: { x: 9 }, b: [1, 2], c: null, keep: 1 });

    expect(applySync({ b: [1, 2] }, { v: 9 }, { v: 'b/0' })).toStrictEqual({ b: { 0: 9 } });
    expect(applySync({ c: null }, { v: 9 }, { v: 'c/d/e' })).toStrictEqual({ c: { d: { e: 9 } } });
  });

  it('copies whole subtrees and does not traverse arrays on the master side', () => {
    const master = { nested: { value: 456, deeper: { x: [1, { y: 2 }] } }, list: [10, 20] };
    const result = applySync({}, master, { 'nested/deeper': 'copy', 'list/0': 'first' });

    expect(result).toStrictEqual({ copy: { x: [1, { y: 2 }] } });
    expect(result.copy).not.toBe(master.nested.deeper);
  });

  it('applies entries in table order, the later one winning on overlap', () => {
    expect(applySync({}, { a: 1, b: 2 }, { a: 'x', b: 'x/y' })).toStrictEqual({ x: { y: 2 } });
    expect(applySync({}, { a: 1, b: 2 }, { b: 'x/y', a: 'x' })).toStrictEqual({ x: 1 });
  });

  it('keeps __proto__ as plain data, never touching a prototype', () => {
    const master = JSON.parse('{"__proto__": {"polluted": true}, "v": 1}') as BlockData;
    const replaced = applySync({}, master, {});
    const translations = JSON.parse('{"__proto__": "safe", "v": "__proto__/polluted"}') as TranslationTable;
    const merged = applySync({}, master, translations);

    expect(Object.getPrototypeOf(replaced)).toBe(Object.prototype);
    expect(Object.hasOwn(replaced, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(merged)).toBe(Object.prototype);
    expect(merged).toStrictEqual(JSON.parse('{"safe": {"polluted": true}, "__proto__": {"polluted": 1}}'));
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('rejects malformed paths with a typed error', () => {
    const bads: TranslationTable[] = [{ '': 'a' }, { a: '' }, { 'a//b': 'c' }, { a: '/c' }, { a: 'c/' }];
    for (const bad of bads) {
      expect(() => applySync({}, {}, bad)).toThrow(InvalidTranslationError);
    }
    expect(() => compileTranslations({ a: 'b//c' })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_TRANSLATION' }));
  });

  it('accepts a precompiled table with the same result', () => {
    const translations = { value: 'targetvalue', 'nested/value': 'nested/target/value' };
    const master = { value: 1, nested: { value: 2 } };
    expect(applySync({ q: 0 }, master, compileTranslations(translations))).toStrictEqual(applySync({ q: 0 }, master, translations));
  });
});

describe('applySync properties', () => {
  it('with an empty table the result equals the master data', () => {
    fc.assert(
      fc.property(tree, tree, (slave, master) => {
        expect(applySync(slave, master, {})).toStrictEqual(master);
      }),
    );
  });

  it('never touches slave paths unrelated to the table, and writes every resolvable entry', () => {
    fc.assert(
      fc.property(tree, tree, table, (slave, master, t) => {
        const result = applySync(slave, master, t);
        const compiled = compileTranslations(t);
        const targets = compiled.map((c) => c.slavePath);
        for (const p of leafPaths(slave)) {
          if (p.length === 0) continue;
          if (targets.some((tp) => isPrefix(tp, p) || isPrefix(p, tp))) continue;
          expect(readPath(result, p)).toStrictEqual(readPath(slave, p));
        }
        // An entry no later entry overlaps, if its master path resolves, is what is there now.
        compiled.forEach((entry, i) => {
          const overlapped = compiled.slice(i + 1).some((later) => isPrefix(later.slavePath, entry.slavePath) || isPrefix(entry.slavePath, later.slavePath));
          const read = readPath(master, entry.masterPath);
          if (!overlapped && read.found) expect(readPath(result, entry.slavePath)).toStrictEqual(read);
        });
      }),
    );
  });

  it('is idempotent: syncing the same broadcast twice equals syncing it once', () => {
    fc.assert(
      fc.property(tree, tree, fc.oneof(table, fc.constant({})), (slave, master, t) => {
        const once = applySync(slave, master, t);
        expect(applySync(once, master, t)).toStrictEqual(once);
      }),
    );
  });

  it('never mutates its inputs', () => {
    fc.assert(
      fc.property(tree, tree, fc.oneof(table, fc.constant({})), (slave, master, t) => {
        const before = structuredClone({ slave, master, t });
        const result = applySync(deepFreeze(slave), deepFreeze(master), deepFreeze(t));
        expect({ slave, master, t }).toStrictEqual(before);
        // The result shares no object with the frozen inputs: writing into every node succeeds.
        expect(() => touchEveryNode(result)).not.toThrow();
      }),
    );
  });
});
