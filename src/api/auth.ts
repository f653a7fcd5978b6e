import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../shared/errors.js';
import { sendProblem } from './problems.js';

export type Role = 'viewer' | 'operator' | 'admin';
const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

export interface ApiKey {
  key: string;
  role: Role;
  user: string;
}

export interface Principal {
  user: string;
  role: Role;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
  }
  interface FastifyContextConfig {
    /** The least role a route needs (default: viewer for GET, operator otherwise). */
    role?: Role;
    /** Served without a key (the dashboard's static files: a browser cannot send one when it navigates). */
    public?: boolean;
  }
}

/** Reads and checks `--api-keys <file>`: `[{"key", "role", "user"}]`; a bad file fails at start, naming what is wrong. */
export function loadApiKeys(path: string): ApiKey[] {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ConfigError(`--api-keys ${path}: ${(e as Error).message}`);
  }
  if (!Array.isArray(raw) || raw.length === 0) throw new ConfigError(`--api-keys ${path}: expected a non-empty array of {key, role, user}`);
  const seen = new Set<string>();
  return raw.map((k: unknown, i) => {
    const o = k as Partial<ApiKey>;
    if (typeof o?.key !== 'string' || o.key.length < 16) throw new ConfigError(`--api-keys ${path}: [${i}].key must be a string of at least 16 characters`);
    if (o.role !== 'viewer' && o.role !== 'operator' && o.role !== 'admin') throw new ConfigError(`--api-keys ${path}: [${i}].role must be viewer, operator or admin`);
    if (typeof o.user !== 'string' || !/^[A-Za-z0-9_\-:@]{1,128}$/.test(o.user)) throw new ConfigError(`--api-keys ${path}: [${i}].user must be a user id`);
    if (seen.has(o.key)) throw new ConfigError(`--api-keys ${path}: [${i}].key appears twice`);
    seen.add(o.key);
    return { key: o.key, role: o.role, user: o.user };
  });
}

export function atLeast(p: Principal, role: Role): boolean {
  return RANK[p.role] >= RANK[role];
}

/**
 * Bearer keys and roles. Without keys the API is open (every caller an admin) — allowed only on
 * a loopback address, which `startControlPlane` enforces.
 */
export function registerAuth(app: FastifyInstance, keys: readonly ApiKey[] | undefined): void {
  const byKey = new Map((keys ?? []).map((k) => [k.key, { user: k.user, role: k.role } satisfies Principal]));
  app.decorateRequest('principal', null as unknown as Principal);
  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    if (!keys) {
      req.principal = { user: 'local', role: 'admin' };
      return;
    }
    if (req.url === '/healthz' || req.url === '/readyz' || req.url === '/metrics' || req.routeOptions.config.public === true) return;
    const header = req.headers.authorization;
    const key = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
    const principal = key ? byKey.get(key) : undefined;
    if (!principal) {
      reply.header('www-authenticate', 'Bearer');
      return sendProblem(reply, { code: 'ERR_UNAUTHENTICATED', message: 'send an API key as Authorization: Bearer <key>' }, 401);
    }
    req.principal = principal;
    const needed = req.routeOptions.config.role ?? (req.method === 'GET' || req.method === 'HEAD' ? 'viewer' : 'operator');
    if (!atLeast(principal, needed)) return sendProblem(reply, { code: 'ERR_FORBIDDEN', message: `this needs the ${needed} role (you are ${principal.role})` }, 403);
    return undefined;
  });
}
