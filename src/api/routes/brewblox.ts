import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { EdgeplaneError } from '../../shared/errors.js';
import { runCommand } from '../commands.js';
import type { ApiDeps } from '../deps.js';
import { Id, problems } from '../schemas.js';

/**
 * Brewblox's block-sync routes, as its users call them: `POST /:service/remote/master` and
 * `/:service/remote/slave`. The seed's curl examples send bodies with shell line continuations
 * (`\` + newline) inside single quotes, which reach the server verbatim; they are whitespace
 * here, so those commands work exactly as written.
 */
export function brewbloxRoutes(deps: ApiDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
      try {
        done(null, JSON.parse((body as string).replace(/\\\r?\n/g, ' ')));
      } catch (e) {
        done(Object.assign(new EdgeplaneError('ERR_INVALID_REQUEST', `body is not JSON: ${(e as Error).message}`), { statusCode: 400 }), undefined);
      }
    });

    app.post('/:service/remote/master', {
      config: { role: 'admin' },
      schema: {
        params: Type.Object({ service: Id }),
        body: Type.Object({ id: Id, interval: Type.Number({ exclusiveMinimum: 0 }) }, { additionalProperties: false }),
        response: { 200: Type.Object({ key: Type.String() }), ...problems },
      },
    }, async (req) => {
      const { service } = req.params;
      await runCommand(deps, 'block', `${service}:${req.body.id}`, { type: 'BecomeMaster', data: { interval: req.body.interval } });
      return { key: `${service}.${req.body.id}` };
    });

    app.post('/:service/remote/slave', {
      config: { role: 'admin' },
      schema: {
        params: Type.Object({ service: Id }),
        body: Type.Object(
          { id: Id, key: Type.String({ pattern: '^[A-Za-z0-9_\\-:@]+\\.[A-Za-z0-9_\\-:@]+$' }), translations: Type.Record(Type.String(), Type.String(), { default: {} }) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ id: Type.String(), key: Type.String(), translations: Type.Record(Type.String(), Type.String()) }), ...problems },
      },
    }, async (req) => {
      const { service } = req.params;
      const { id, key, translations } = req.body;
      await runCommand(deps, 'block', `${service}:${id}`, { type: 'BecomeSlave', data: { key, translations } });
      return { id: `${service}.${id}`, key, translations };
    });
  };
}
