import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deepMerge, isJson, jsonEqual, translationProblem, type JsonObject } from './block.merge.js';

const json = fc.jsonValue({ maxDepth: 4, noUnicodeString: true }) as fc.Arbitrary<unknown>;
const object = fc.dictionary(fc.string({ maxLength: 4 }), json, { maxKeys: 6 }) as fc.Arbitrary<JsonObject>;

describe('block data merge', () => {
  it('merges nested objects key by key and replaces everything else', () => {
    expect(deepMerge({ a: { b: 1, c: [1] }, d: 1 }, { a: { c: [2], e: null }, f: 'x' })).toEqual({ a: { b: 1, c: [2], e: null }, d: 1, f: 'x' });
  });

  it('keeps a __proto__ key a plain key and never touches the prototype', () => {
    const merged = deepMerge({}, JSON.parse('{"__proto__": {"polluted": true}}') as JsonObject);
    expect(Object.hasOwn(merged, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('laws: merging is idempotent, {} is neutral, and patched keys win', () => {
    fc.assert(
      fc.property(object, object, (target, patch) => {
        const once = deepMerge(target, patch);
        expect(jsonEqual(deepMerge(once, patch), once)).toBe(true);
        expect(jsonEqual(deepMerge(target, {}), target)).toBe(true);
        for (const k of Object.keys(patch)) {
          if (typeof patch[k] !== 'object' || patch[k] === null || Array.isArray(patch[k])) expect(once[k]).toEqual(patch[k]);
        }
      }),
    );
  });

  it('tells JSON from what JSON cannot hold', () => {
    expect(isJson({ a: [1, 'x', null, true, { b: 2 }] })).toBe(true);
    expect(isJson({ a: undefined })).toBe(false);
    expect(isJson({ a: Number.NaN })).toBe(false);
    expect(isJson(new Date(0))).toBe(false);
  });
});

describe('translation table checks', () => {
  it('accepts the seed table and an empty one', () => {
    expect(translationProblem({ value: 'targetvalue', 'nested/value': 'nested/target/value' })).toBeNull();
    expect(translationProblem({})).toBeNull();
  });

  it('finds a target nested in another even when other paths sort between them', () => {
    expect(translationProblem({ a: 'x', b: 'x-y', c: 'x/y' })).toMatch(/x and x\/y overlap/);
  });
});
