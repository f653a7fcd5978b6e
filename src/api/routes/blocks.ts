import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { StreamNotFoundError } from '../../shared/errors.js';
import { runCommand } from '../commands.js';
import type { ApiDeps } from '../deps.js';
import { Doc, Id, problems } from '../schemas.js';

const Params = Type.Object({ service: Id, id: Id });
const Data = Type.Object({ data: Type.Record(Type.String(), Type.Unknown()) }, { additionalProperties: false });

/** `/v1/blocks/:service/:id` — a Spark block's data (actor `block/<service>:<id>`). */
export function blockRoutes(deps: ApiDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    const read = async (service: string, id: string) => {
      const { state, revision } = await deps.host.inspect('block', `${service}:${id}`);
      if (revision < 0) throw new StreamNotFoundError(`block-${service}:${id}`);
      return { service, id, key: `${service}.${id}`, revision, ...(state as Record<string, unknown>) };
    };
    app.get('/:service/:id', { schema: { params: Params, response: { 200: Doc, ...problems } } }, async (req) => read(req.params.service, req.params.id));
    for (const [method, type] of [['put', 'WriteBlock'], ['patch', 'PatchBlock']] as const) {
      app[method]('/:service/:id', { schema: { params: Params, body: Data, response: { 200: Doc, ...problems } } }, async (req) => {
        await runCommand(deps, 'block', `${req.params.service}:${req.params.id}`, { type, data: { data: req.body.data } });
        return read(req.params.service, req.params.id);
      });
    }
  };
}
