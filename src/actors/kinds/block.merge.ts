/**
 * Block data as JSON, its deep merge (PatchBlock), and the checks a Brewblox translation table
 * (`a/b/c` paths) must pass before a block becomes a slave. Applying a table to a broadcast is
 * the block-sync side's job (src/projections/blockTranslation.ts); actors cannot import it.
 */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

const MAX_DEPTH = 32;

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

export function isJson(v: unknown, depth = 0): v is Json {
  if (depth > MAX_DEPTH) return false;
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return true;
  if (typeof v === 'number') return Number.isFinite(v);
  if (Array.isArray(v)) return v.every((x) => isJson(x, depth + 1));
  return isPlainObject(v) && Object.values(v).every((x) => isJson(x, depth + 1));
}

/**
 * Objects merge key by key, recursively; anything else in the patch (scalar, array, null)
 * replaces what was there. Built with fromEntries so a `__proto__` key stays a plain key.
 */
export function deepMerge(target: JsonObject, patch: JsonObject): JsonObject {
  const keys = new Set([...Object.keys(target), ...Object.keys(patch)]);
  return Object.fromEntries(
    [...keys].map((k): [string, Json] => {
      const t = Object.hasOwn(target, k) ? target[k] : undefined;
      if (!Object.hasOwn(patch, k)) return [k, t as Json];
      const p = patch[k] as Json;
      return [k, isPlainObject(t) && isPlainObject(p) ? deepMerge(t as JsonObject, p as JsonObject) : p];
    }),
  );
}

export function jsonEqual(a: Json | undefined, b: Json | undefined): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k] as Json, b[k] as Json));
  }
  return false;
}

/** Master path → slave path; an empty table copies the master's data whole. */
export type Translations = Record<string, string>;

export const isValidPath = (path: string): boolean => path.length > 0 && path.length <= 512 && path.split('/').every((s) => s.length > 0);

/** Why a translation table cannot be applied, or null: two targets may not overlap (`a` and `a/b`). */
export function translationProblem(translations: Translations): string | null {
  for (const [from, to] of Object.entries(translations)) {
    if (!isValidPath(from)) return `master path ${JSON.stringify(from)} must be non-empty segments separated by /`;
    if (!isValidPath(to)) return `slave path ${JSON.stringify(to)} (for ${from}) must be non-empty segments separated by /`;
  }
  const targets = new Map<string, string>();
  for (const [from, to] of Object.entries(translations)) {
    const other = targets.get(to);
    if (other !== undefined) return `master paths ${other} and ${from} both write slave path ${to}`;
    targets.set(to, from);
  }
  for (const to of targets.keys()) {
    const segments = to.split('/');
    for (let n = 1; n < segments.length; n++) {
      const prefix = segments.slice(0, n).join('/');
      if (targets.has(prefix)) return `slave paths ${prefix} and ${to} overlap, so one would overwrite the other`;
    }
  }
  return null;
}
