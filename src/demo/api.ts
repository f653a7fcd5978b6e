import { EdgeplaneError } from '../shared/errors.js';

/** The demo sets itself up through the public HTTP API, the way a user would. */
export interface Api {
  get<T = any>(path: string): Promise<{ status: number; body: T }>;
  send<T = any>(method: 'POST' | 'PUT' | 'PATCH', path: string, body: unknown): Promise<{ status: number; body: T }>;
  /** A command to an actor, with a fixed id so a second demo run replays it instead of repeating it. */
  command(kind: string, id: string, type: string, data: unknown, commandId?: string): Promise<{ status: number; body: any }>;
}

export function httpApi(base: string): Api {
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
  return {
    get: (path) => call('GET', path),
    send: (method, path, body) => call(method, path, body),
    command: (kind, id, type, data, commandId) => call('POST', `/v1/actors/${kind}/${encodeURIComponent(id)}/commands`, { type, data, ...(commandId ? { id: commandId } : {}) }),
  };
}

/** Polls until `check` returns a value (not undefined), or fails naming what it waited for. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new EdgeplaneError('ERR_DEMO_TIMEOUT', `the demo waited ${Math.round(timeoutMs / 1000)} s for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** A 2xx, or an error naming the request and the problem the API answered. */
export function ok<T extends { status: number; body: any }>(what: string, r: T): T {
  if (r.status >= 200 && r.status < 300) return r;
  throw new EdgeplaneError('ERR_DEMO_SETUP', `${what}: HTTP ${r.status} ${r.body?.code ?? ''} ${r.body?.message ?? ''}`.trim());
}
