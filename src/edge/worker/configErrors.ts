import type { TSchema } from '@sinclair/typebox';
import { ValueErrorType } from '@sinclair/typebox/errors';
import { Value } from '@sinclair/typebox/value';

/**
 * TypeBox's first error, said in hardware.json's own terms: `/devices/2/address` becomes
 * `devices[2].address`, and a choice between literals lists what is allowed.
 */
export function fieldOf(path: string): string {
  return path
    .split('/')
    .filter((p) => p.length > 0)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '');
}

export function firstSchemaProblem(schema: TSchema, value: unknown): { field: string; reason: string } | undefined {
  const first = Value.Errors(schema, value).First();
  if (!first) return undefined;
  const literals = (first.schema as { anyOf?: Array<{ const?: unknown }> }).anyOf?.map((s) => s.const);
  const got = first.value === undefined ? 'nothing' : JSON.stringify(first.value)?.slice(0, 80);
  let reason: string;
  if (literals && literals.length > 0 && literals.every((l) => l !== undefined)) reason = `must be one of ${literals.map((l) => JSON.stringify(l)).join(', ')} (got ${got})`;
  else if (first.type === ValueErrorType.StringPattern && typeof first.schema.description === 'string') reason = `must be ${first.schema.description} (got ${got})`;
  else if (first.message === 'Unexpected property') reason = 'is not a known field (a typo?)';
  else if (first.message === 'Expected required property') reason = 'is required';
  else reason = `${first.message.charAt(0).toLowerCase()}${first.message.slice(1)} (got ${got})`;
  return { field: fieldOf(first.path), reason };
}
