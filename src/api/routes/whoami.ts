import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';

export const WhoAmISchema = Type.Object({
  user: Type.String({ description: 'The key’s user (`local` when the API is open)' }),
  role: Type.Union([Type.Literal('viewer'), Type.Literal('operator'), Type.Literal('admin')]),
  keyed: Type.Boolean({ description: 'False when the API runs without keys (loopback only; everyone is admin)' }),
});

/** `GET /v1/whoami`: the caller's user and role, so a client shows only what the key may do. */
export function whoAmIRoutes(opts: { keyed: boolean }): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get('/', { schema: { tags: ['access'], summary: 'The caller’s user and role', response: { 200: WhoAmISchema } } }, async (req) => ({
      user: req.principal.user,
      role: req.principal.role,
      keyed: opts.keyed,
    }));
  };
}
