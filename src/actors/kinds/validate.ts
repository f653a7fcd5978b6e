import { DomainRejection, UnknownCommandError } from '../../shared/errors.js';
import { validateId } from '../../shared/ids.js';
import type { Command } from '../decider.js';

/**
 * Reading command data that arrived as untrusted JSON. Every check throws a DomainRejection
 * naming the actor, the command and the field, so a malformed command never yields an event.
 */
export interface Ctx {
  /** `kind/id`, for messages. */
  who: string;
  type: string;
  data: Record<string, unknown>;
  /** When the host decides, normalised; the fallback for an omitted `at`. */
  now: string;
  commandId: string;
  id: string;
  /** Prefix for field names inside nested objects (`devices[2].`). */
  path?: string;
  /** The code shape errors get here (`ERR_INVALID_HARDWARE` inside a hardware description). */
  code?: string;
}

/** A kind's command types, given as keys of a record so one missing from the union fails to compile. */
export const allOf = <T extends string>(all: Record<T, true>): readonly T[] => Object.keys(all) as T[];

/** Checks the command is one the kind lists, before any rule, then reads its metadata. */
export function contextOf(command: Command<string, unknown>, commandTypes: readonly string[]): Ctx {
  const { kind, id, commandId, timestamp } = command.metadata;
  if (!commandTypes.includes(command.type)) throw new UnknownCommandError(kind, command.type);
  const who = `${kind}/${id}`;
  const raw: unknown = command.data ?? {};
  const base = { who, type: command.type, data: {}, now: '', commandId, id };
  if (typeof raw !== 'object' || Array.isArray(raw) || raw === null) invalid(base, 'data', 'must be an object');
  const ctx = { ...base, data: raw as Record<string, unknown> };
  return { ...ctx, now: parseTime(ctx, 'metadata.timestamp', timestamp) };
}

export function reject(ctx: Ctx, code: string, rule: string, details: Record<string, unknown> = {}): never {
  throw new DomainRejection(code, `${ctx.who} refused ${ctx.type}: ${rule}`, { actor: ctx.who, command: ctx.type, ...details });
}

export function invalid(ctx: Ctx, field: string, problem: string, code?: string): never {
  const name = `${ctx.path ?? ''}${field}`;
  reject(ctx, code ?? ctx.code ?? 'ERR_INVALID_COMMAND', `field ${name} ${problem}`, { field: name });
}

/** The `never` check: a command type the switch forgot fails to compile, one from the wire fails here. */
export function unknownCommand(kind: string, command: never): never {
  throw new UnknownCommandError(kind, String((command as { type?: unknown }).type));
}

/** The `never` check in evolve: an event type written by a newer version leaves the state alone. */
export function ignoreUnknownEvent<S>(state: S, _event: never): S {
  return state;
}

export const show = (v: unknown): string => (v === undefined ? 'nothing' : JSON.stringify(v) ?? String(v));

export function str(ctx: Ctx, name: string, opts: { optional?: false; allowEmpty?: boolean; max?: number }): string;
export function str(ctx: Ctx, name: string, opts: { optional: true; allowEmpty?: boolean; max?: number }): string | undefined;
export function str(ctx: Ctx, name: string, opts: { optional?: boolean; allowEmpty?: boolean; max?: number } = {}): string | undefined {
  const v = ctx.data[name];
  if (v === undefined && opts.optional) return undefined;
  if (typeof v !== 'string') invalid(ctx, name, `must be a string (got ${show(v)})`);
  if (!opts.allowEmpty && v.trim() === '') invalid(ctx, name, 'must not be empty');
  if (v.length > (opts.max ?? 1024)) invalid(ctx, name, `must be at most ${opts.max ?? 1024} characters`);
  return v;
}

export function bool(ctx: Ctx, name: string): boolean {
  const v = ctx.data[name];
  if (typeof v !== 'boolean') invalid(ctx, name, `must be true or false (got ${show(v)})`);
  return v;
}

export function num(ctx: Ctx, name: string, opts: { integer?: boolean; min?: number; max?: number; code?: string } = {}): number {
  const v = ctx.data[name];
  const code = opts.code;
  if (typeof v !== 'number' || !Number.isFinite(v)) invalid(ctx, name, `must be a finite number (got ${show(v)})`, code);
  if (opts.integer && !Number.isInteger(v)) invalid(ctx, name, `must be an integer (got ${v})`, code);
  if (opts.min !== undefined && v < opts.min) invalid(ctx, name, `must be at least ${opts.min} (got ${v})`, code);
  if (opts.max !== undefined && v > opts.max) invalid(ctx, name, `must be at most ${opts.max} (got ${v})`, code);
  return v;
}

export function oneOf<T extends string>(ctx: Ctx, name: string, allowed: readonly T[], code?: string, value: unknown = ctx.data[name]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    invalid(ctx, name, `must be one of ${allowed.join(', ')} (got ${show(value)})`, code);
  }
  return value as T;
}

/** An id-shaped string (letters, digits, `_ - : @`), for values that may become actor ids or subject tokens. */
export function idField(ctx: Ctx, name: string, value: unknown = ctx.data[name]): string {
  try {
    return validateId(value, name);
  } catch {
    return invalid(ctx, name, `must be an id of letters, digits and _ - : @ (got ${show(value)})`);
  }
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** ISO-8601 with a zone, normalised to UTC `…Z` so stored times compare as strings and as numbers. */
export function parseTime(ctx: Ctx, name: string, value: unknown): string {
  if (typeof value !== 'string' || !ISO_TIME.test(value) || !Number.isFinite(Date.parse(value))) {
    invalid(ctx, name, `must be an ISO-8601 time with a zone, e.g. 2024-05-01T12:00:00Z (got ${show(value)})`, 'ERR_INVALID_TIMESTAMP');
  }
  return new Date(Date.parse(value)).toISOString();
}

/** `at` as sent by the edge, or when the host decides if the sender left it out. */
export function at(ctx: Ctx, name = 'at'): string {
  const v = ctx.data[name];
  return v === undefined ? ctx.now : parseTime(ctx, name, v);
}

export const ms = (iso: string): number => Date.parse(iso);

/** True when `time` is older than `than` (a known later fact): such a report must change nothing. */
export const isOlder = (time: string, than: string | null): boolean => than !== null && ms(time) < ms(than);

export function obj(ctx: Ctx, name: string, value: unknown = ctx.data[name], code?: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) invalid(ctx, name, `must be an object (got ${show(value)})`, code);
  return value as Record<string, unknown>;
}

export function arr(ctx: Ctx, name: string, value: unknown = ctx.data[name], code?: string): unknown[] {
  if (!Array.isArray(value)) invalid(ctx, name, `must be an array (got ${show(value)})`, code);
  return value;
}

/** A context over a nested object, so the same helpers read it and name its fields `devices[2].role`. */
export function nested(ctx: Ctx, name: string, value: unknown, code = ctx.code): Ctx {
  return { ...ctx, data: obj(ctx, name, value, code), path: `${ctx.path ?? ''}${name}.`, code };
}
