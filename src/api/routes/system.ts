import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { changesAfter, getSystemView, latestSeq } from '../../projections/index.js';
import { atLeast } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { problems } from '../schemas.js';

/** `/v1/system` — the system view, and its change feed (immediate, or long-poll with `wait`). */
export function systemRoutes(deps: ApiDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    // The view changes only when the feed moves: build it once per seq, serve the same text.
    let cached: { seq: number; text: string } | undefined;
    app.get('/', { schema: { response: { 200: Type.Object({ seq: Type.Integer() }, { additionalProperties: true }) } } }, async (req, reply) => {
      if (!atLeast(req.principal, 'admin')) {
        // Plugs are their owners' business: others do not see them at all.
        const view = getSystemView(deps.readModels);
        return { ...view, daemons: view.daemons.filter((d) => (d as { owner?: unknown }).owner === req.principal.user) };
      }
      const seq = latestSeq(deps.readModels);
      if (cached?.seq !== seq) cached = { seq, text: JSON.stringify(getSystemView(deps.readModels)) };
      return reply.type('application/json; charset=utf-8').send(cached.text as never);
    });

    app.get('/changes', {
      schema: {
        querystring: Type.Object(
          {
            after: Type.Integer({ minimum: 0, default: 0 }),
            limit: Type.Integer({ minimum: 1, maximum: 1000, default: 1000 }),
            /** Long-poll: wait up to this many ms for a change when there is none yet. */
            wait: Type.Integer({ minimum: 0, maximum: 30_000, default: 0 }),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            seq: Type.Integer(),
            changes: Type.Array(Type.Object({ seq: Type.Integer(), kind: Type.String(), id: Type.String(), change: Type.Unknown(), position: Type.Integer() })),
          }),
          ...problems,
        },
      },
    }, async (req) => {
      const { after, limit, wait } = req.query;
      const deadline = Date.now() + wait;
      let changes = changesAfter(deps.readModels, after, limit);
      while (changes.length === 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
        changes = changesAfter(deps.readModels, after, limit);
      }
      if (!atLeast(req.principal, 'admin')) {
        const owners = new Map<string, unknown>();
        for (const c of changes) if (c.kind === 'daemon' && !owners.has(c.id)) owners.set(c.id, ((await deps.host.inspect('daemon', c.id)).state as { owner?: unknown }).owner);
        changes = changes.filter((c) => c.kind !== 'daemon' || owners.get(c.id) === req.principal.user);
      }
      return { seq: latestSeq(deps.readModels), changes: changes as never };
    });
  };
}
