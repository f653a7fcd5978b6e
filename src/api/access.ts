import type { FastifyInstance, FastifyRequest } from 'fastify';
import { EdgeplaneError, StreamNotFoundError } from '../shared/errors.js';
import { atLeast, type Role } from './auth.js';
import type { ApiDeps } from './deps.js';
import { sendProblem } from './problems.js';

/** Commands that change how the fleet is wired: admin only, whatever route carries them. */
const ADMIN_COMMANDS: Record<string, ReadonlySet<string>> = {
  interactions: new Set(['AddInteraction', 'UpdateInteraction', 'DeleteInteraction', 'EnableInteraction', 'DisableInteraction']),
  gateway: new Set(['SetTargetFirmware']),
  block: new Set(['BecomeMaster', 'BecomeSlave', 'StopSync']),
};

export function requireRole(req: FastifyRequest, role: Role, what: string): void {
  if (!atLeast(req.principal, role)) throw new EdgeplaneError('ERR_FORBIDDEN', `${what} needs the ${role} role (you are ${req.principal.role})`);
}

export function checkCommandRole(req: FastifyRequest, kind: string, type: string): void {
  if (ADMIN_COMMANDS[kind]?.has(type)) requireRole(req, 'admin', `${kind} ${type}`);
}

/**
 * Plugs belong to their owner: anyone else (but an admin) is told the plug does not exist — a 404,
 * never a 403, so ids cannot be probed.
 */
export async function assertVisible(deps: ApiDeps, req: FastifyRequest, kind: string, id: string): Promise<void> {
  if (kind !== 'daemon' || atLeast(req.principal, 'admin')) return;
  const { state, revision } = await deps.host.inspect('daemon', id);
  const owner = (state as { owner?: string | null }).owner;
  if (revision >= 0 && owner !== req.principal.user) throw new StreamNotFoundError(`daemon-${id}`);
}

/** A token bucket per user for writes: 429 with Retry-After when it is empty. */
export function registerRateLimit(app: FastifyInstance, opts: { perSecond: number; burst: number }): void {
  const buckets = new Map<string, { tokens: number; at: number }>();
  app.addHook('onRequest', async (req, reply) => {
    if (req.method === 'GET' || req.method === 'HEAD' || !req.principal) return undefined;
    const now = Date.now();
    const b = buckets.get(req.principal.user) ?? { tokens: opts.burst, at: now };
    b.tokens = Math.min(opts.burst, b.tokens + ((now - b.at) / 1000) * opts.perSecond);
    b.at = now;
    buckets.set(req.principal.user, b);
    if (b.tokens < 1) {
      reply.header('retry-after', String(Math.max(1, Math.ceil((1 - b.tokens) / opts.perSecond))));
      return sendProblem(reply, { code: 'ERR_RATE_LIMITED', message: `more than ${opts.perSecond} writes/s (burst ${opts.burst}); retry later` }, 429);
    }
    b.tokens -= 1;
    return undefined;
  });
}
