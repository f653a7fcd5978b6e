// What changed between two states, as paths: the timeline shows it beside the event.

/** @typedef {{ path: string, op: 'added' | 'removed' | 'changed', before?: unknown, after?: unknown }} Difference */

/** @param {unknown} v */
const isObject = (v) => typeof v === 'object' && v !== null;

/**
 * Differences from `before` to `after`, depth first; arrays are compared element by element.
 * @param {unknown} before @param {unknown} after @param {string} [path]
 * @returns {Difference[]}
 */
export function diff(before, after, path = '') {
  if (before === after) return [];
  if (isObject(before) && isObject(after) && Array.isArray(before) === Array.isArray(after)) {
    const b = /** @type {Record<string, unknown>} */ (before);
    const a = /** @type {Record<string, unknown>} */ (after);
    const out = [];
    const keys = new Set([...Object.keys(b), ...Object.keys(a)]);
    for (const k of keys) {
      const p = Array.isArray(after) ? `${path}[${k}]` : path ? `${path}.${k}` : k;
      if (!Object.hasOwn(a, k)) out.push({ path: p, op: /** @type {const} */ ('removed'), before: b[k] });
      else if (!Object.hasOwn(b, k)) out.push({ path: p, op: /** @type {const} */ ('added'), after: a[k] });
      else out.push(...diff(b[k], a[k], p));
    }
    return out;
  }
  return [{ path: path || '(state)', op: 'changed', before, after }];
}

/** Short JSON for a table cell. @param {unknown} v */
export function brief(v) {
  const text = JSON.stringify(v);
  if (text === undefined) return 'undefined';
  return text.length > 160 ? `${text.slice(0, 157)}…` : text;
}
