import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { COMPARISON_OPS } from '../../actors/kinds/interactions.decider.js';
import { firings, getInteraction, listInteractions } from '../../projections/index.js';
import { EdgeplaneError } from '../../shared/errors.js';
import { readYourWrite, runCommand } from '../commands.js';
import type { ApiDeps } from '../deps.js';
import { Doc, Id, problems } from '../schemas.js';

const TABLE = 'default';
const Address = Type.String({ pattern: '^sensor/[A-Za-z0-9_\\-:@]{1,128}$' });
const When = Type.Object({ source: Address, op: Type.Union(COMPARISON_OPS.map((op) => Type.Literal(op))), value: Type.Number() }, { additionalProperties: false });
const Then = Type.Object({ target: Address, value: Type.Number() }, { additionalProperties: false });

/** `/v1/interactions` — the ECP interaction table over the `interactions/default` actor. */
export function interactionRoutes(deps: ApiDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    const found = (id: string) => {
      const row = getInteraction(deps.readModels, id, TABLE);
      if (!row) throw new EdgeplaneError('ERR_INTERACTION_NOT_FOUND', `no interaction ${id}`, { id });
      return row;
    };

    app.get('/', { schema: { response: { 200: Type.Object({ interactions: Type.Array(Doc) }) } } }, async () => ({ interactions: listInteractions(deps.readModels) as never[] }));

    app.get('/:id', { schema: { params: Type.Object({ id: Id }), response: { 200: Doc, ...problems } } }, async (req) => found(req.params.id) as never);

    app.post('/', {
      config: { role: 'admin' },
      schema: {
        body: Type.Object({ id: Id, when: When, then: Then, enabled: Type.Optional(Type.Boolean()), force: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
        response: { 201: Doc, ...problems },
      },
    }, async (req, reply) => {
      const answer = await runCommand(deps, 'interactions', TABLE, { type: 'AddInteraction', data: req.body });
      await readYourWrite(deps, answer.position);
      return reply.code(201).send(found(req.body.id));
    });

    app.put('/:id', {
      config: { role: 'admin' },
      schema: {
        params: Type.Object({ id: Id }),
        body: Type.Object({ when: Type.Optional(When), then: Type.Optional(Then), enabled: Type.Optional(Type.Boolean()), force: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
        response: { 200: Doc, ...problems },
      },
    }, async (req) => {
      const { id } = req.params;
      const { when, then, enabled, force } = req.body;
      let position = 0;
      if (when || then) position = (await runCommand(deps, 'interactions', TABLE, { type: 'UpdateInteraction', data: { id, when, then, force } })).position;
      if (enabled !== undefined) {
        position = (await runCommand(deps, 'interactions', TABLE, { type: enabled ? 'EnableInteraction' : 'DisableInteraction', data: enabled ? { id, force } : { id } })).position;
      }
      await readYourWrite(deps, position);
      return found(id) as never;
    });

    app.delete('/:id', { config: { role: 'admin' }, schema: { params: Type.Object({ id: Id }), response: { 204: Type.Null(), ...problems } } }, async (req, reply) => {
      const answer = await runCommand(deps, 'interactions', TABLE, { type: 'DeleteInteraction', data: { id: req.params.id } });
      await readYourWrite(deps, answer.position);
      return reply.code(204).send(null);
    });

    app.get('/:id/firings', {
      schema: {
        params: Type.Object({ id: Id }),
        querystring: Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }) }, { additionalProperties: false }),
        response: { 200: Type.Object({ firings: Type.Array(Doc) }), ...problems },
      },
    }, async (req) => {
      found(req.params.id);
      return { firings: firings(deps.readModels, req.params.id, req.query.limit, TABLE) as never[] };
    });
  };
}
