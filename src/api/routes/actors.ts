import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { replayActor } from '../../actors/replay.js';
import { EdgeplaneError, StreamNotFoundError } from '../../shared/errors.js';
import { streamName } from '../../shared/ids.js';
import { assertVisible, checkCommandRole, requireRole } from '../access.js';
import { runCommand } from '../commands.js';
import type { ApiDeps } from '../deps.js';
import { CommandAnswer, Id, Iso, Kind, RecordedEvent, problems } from '../schemas.js';

const Params = Type.Object({ kind: Kind, id: Id });

/** `/v1/actors/:kind/:id` — state, stream, time travel and commands for any actor. */
export function actorRoutes(deps: ApiDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    const deciderOf = (kind: string) => deps.registry.get(kind);

    app.get('/:kind/:id', {
      schema: {
        params: Params,
        response: { 200: Type.Object({ kind: Type.String(), id: Type.String(), revision: Type.Integer(), state: Type.Unknown() }), ...problems },
      },
    }, async (req) => {
      const { kind, id } = req.params;
      deciderOf(kind);
      await assertVisible(deps, req, kind, id);
      const { state, revision } = await deps.host.inspect(kind, id);
      if (revision < 0) throw new StreamNotFoundError(streamName(kind, id));
      return { kind, id, revision, state };
    });

    app.get('/:kind/:id/events', {
      schema: {
        params: Params,
        querystring: Type.Object({
          from: Type.Optional(Type.Integer({ minimum: 0 })),
          limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
          direction: Type.Union([Type.Literal('forwards'), Type.Literal('backwards')], { default: 'forwards' }),
        }, { additionalProperties: false }),
        response: { 200: Type.Object({ events: Type.Array(RecordedEvent), next: Type.Union([Type.Integer(), Type.Null()]) }), ...problems },
      },
    }, async (req) => {
      const { kind, id } = req.params;
      deciderOf(kind);
      await assertVisible(deps, req, kind, id);
      const { from, limit, direction } = req.query;
      const events = await deps.store.readStream(streamName(kind, id), { fromRevision: from, limit: limit + 1, direction });
      const page = events.slice(0, limit);
      return { events: page.map((e) => JSON.parse(JSON.stringify(e))), next: events.length > limit ? events[limit]!.revision : null };
    });

    app.get('/:kind/:id/state', {
      schema: {
        params: Params,
        querystring: Type.Object({ revision: Type.Optional(Type.Integer({ minimum: 0 })), at: Type.Optional(Iso) }, { additionalProperties: false }),
        response: {
          200: Type.Object({ revision: Type.Integer(), state: Type.Unknown(), event: Type.Union([RecordedEvent, Type.Null()]), remaining: Type.Integer() }),
          ...problems,
        },
      },
    }, async (req) => {
      const { kind, id } = req.params;
      const { revision, at } = req.query;
      deciderOf(kind);
      await assertVisible(deps, req, kind, id);
      if (revision !== undefined && at !== undefined) throw new EdgeplaneError('ERR_INVALID_QUERY', 'give revision or at, not both');
      const r = await replayActor(deps.store, deciderOf(kind), id, { toRevision: revision, at: at === undefined ? undefined : new Date(at) });
      return { revision: r.revision, state: r.state, event: r.lastEvent ? JSON.parse(JSON.stringify(r.lastEvent)) : null, remaining: r.remaining };
    });

    app.post('/:kind/:id/commands', {
      schema: {
        params: Params,
        body: Type.Object(
          {
            type: Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_]{0,63}$' }),
            data: Type.Record(Type.String(), Type.Unknown(), { default: {} }),
            id: Type.Optional(Id),
            expectedRevision: Type.Optional(Type.Integer({ minimum: -1 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: CommandAnswer, ...problems },
      },
    }, async (req) => {
      const { kind, id } = req.params;
      deps.registry.check(kind, req.body.type);
      checkCommandRole(req, kind, req.body.type);
      await assertVisible(deps, req, kind, id);
      if (kind === 'daemon' && req.body.type === 'RegisterDaemon' && req.body.data.owner !== req.principal.user) requireRole(req, 'admin', 'registering a plug for someone else');
      const answer = await runCommand(deps, kind, id, req.body);
      return { ...answer, events: answer.events.map((e) => JSON.parse(JSON.stringify(e))) };
    });
  };
}
