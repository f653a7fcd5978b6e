/**
 * Brewblox block sync: how a slave block's data is updated from its master's broadcast.
 *
 * - Empty translation table: the slave's data is replaced by (a deep copy of) the master's.
 * - Otherwise each entry `masterPath → slavePath` copies the master's value at masterPath to
 *   slavePath in the slave's data; every other key of the slave stays as it was.
 *
 * Paths are `/`-separated keys into nested objects (`nested/target/value`). Decisions the seed
 * leaves open:
 * - A master path that does not resolve (a key is absent, or a node on the way is not a plain
 *   object) is skipped: the slave keeps whatever it has at slavePath. A partial broadcast must
 *   not erase configuration on the slave.
 * - Only plain objects are traversed; arrays are values, so `list/0` never indexes an array.
 * - A node on the way to slavePath that is not a plain object (number, string, null, array) is
 *   replaced by an empty object, so the write always lands where the table says.
 * - Entries apply in the table's key order; when two slave paths overlap the later one wins.
 * - The result shares no objects with either input (both are deep-copied), so a caller may
 *   mutate it freely and the inputs are never mutated.
 */
import { DomainRejection } from '../../shared/errors.js';

/** A block's data as it travels on the wire: a JSON object. */
export type BlockData = Record<string, unknown>;

/** `masterPath → slavePath`, both `/`-separated. */
export type TranslationTable = Readonly<Record<string, string>>;

/** A validated table with its paths split once, so a periodic sync does no parsing. */
export interface CompiledTranslation {
  readonly masterPath: readonly string[];
  readonly slavePath: readonly string[];
}

/** A translation table with an empty path or an empty segment (`a//b`, `/a`, `a/`). */
export class InvalidTranslationError extends DomainRejection {
  constructor(readonly path: string, reason: string) {
    super('ERR_INVALID_TRANSLATION', `invalid translation path ${JSON.stringify(path)}: ${reason}`, { path });
  }
}

const SEPARATOR = '/';

function splitPath(path: string): string[] {
  if (path.length === 0) throw new InvalidTranslationError(path, 'the path is empty');
  const segments = path.split(SEPARATOR);
  if (segments.some((s) => s.length === 0)) throw new InvalidTranslationError(path, 'a segment is empty');
  return segments;
}

/** Validates a table and splits its paths; throws InvalidTranslationError on a bad path. */
export function compileTranslations(table: TranslationTable): CompiledTranslation[] {
  return Object.entries(table).map(([masterPath, slavePath]) => ({
    masterPath: splitPath(masterPath),
    slavePath: splitPath(slavePath),
  }));
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** An own data property even for `__proto__`, so wire data can never reach a prototype. */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
}

function deepCopy(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(deepCopy);
  if (!isPlainObject(value)) return value;
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) setOwn(copy, key, deepCopy(value[key]));
  return copy;
}

/** The value at a path, or `{found: false}` when the path does not resolve. */
export function readPath(data: unknown, path: readonly string[]): { found: true; value: unknown } | { found: false } {
  let node: unknown = data;
  for (const key of path) {
    if (!isPlainObject(node) || !Object.hasOwn(node, key)) return { found: false };
    node = node[key];
  }
  return { found: true, value: node };
}

/** Writes in place (on the private copy only), replacing non-object intermediates by objects. */
function writePath(root: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = root;
  for (let i = 0; i < path.length - 1; i++) {
    const key = path[i]!;
    const child = Object.hasOwn(node, key) ? node[key] : undefined;
    if (isPlainObject(child)) {
      node = child;
    } else {
      const fresh: Record<string, unknown> = {};
      setOwn(node, key, fresh);
      node = fresh;
    }
  }
  setOwn(node, path[path.length - 1]!, value);
}

/**
 * The slave's data after receiving `masterData`: a replacement when `translations` is empty,
 * a merge of the translated paths otherwise. Pure: returns a new object, mutates nothing.
 * Throws InvalidTranslationError for a malformed table.
 */
export function applySync(slaveData: BlockData, masterData: BlockData, translations: TranslationTable | readonly CompiledTranslation[]): BlockData {
  const compiled = Array.isArray(translations) ? (translations as readonly CompiledTranslation[]) : compileTranslations(translations as TranslationTable);
  if (compiled.length === 0) return deepCopy(masterData) as BlockData;
  const result = deepCopy(slaveData) as BlockData;
  for (const { masterPath, slavePath } of compiled) {
    const read = readPath(masterData, masterPath);
    if (read.found) writePath(result, slavePath, deepCopy(read.value));
  }
  return result;
}
