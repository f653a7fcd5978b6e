import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ENERGY_UNITS, energyReport } from '../../projections/index.js';
import { EdgeplaneError, StreamNotFoundError } from '../../shared/errors.js';
import type { FastifyRequest } from 'fastify';
import { assertVisible } from '../access.js';
import { runCommand } from '../commands.js';
import type { ApiDeps } from '../deps.js';
import { Id, Iso, problems } from '../schemas.js';

/** `/v1/daemons/:id` — Paddy's plugs: kWh over any unit and range, and the on/off switch. */
export function daemonRoutes(deps: ApiDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    const exists = async (req: FastifyRequest, id: string) => {
      if ((await deps.host.inspect('daemon', id)).revision < 0) throw new StreamNotFoundError(`daemon-${id}`);
      await assertVisible(deps, req, 'daemon', id);
    };

    app.get('/:id/energy', {
      schema: {
        params: Type.Object({ id: Id }),
        querystring: Type.Object(
          { unit: Type.Union(ENERGY_UNITS.map((u) => Type.Literal(u)), { default: 'hour' }), from: Type.Optional(Iso), to: Type.Optional(Iso) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            unit: Type.String(),
            from: Type.Union([Type.String(), Type.Null()]),
            to: Type.Union([Type.String(), Type.Null()]),
            buckets: Type.Array(Type.Object({ start: Type.Union([Type.String(), Type.Null()]), end: Type.Union([Type.String(), Type.Null()]), kwh: Type.Number() })),
            totalKwh: Type.Number(),
          }),
          ...problems,
        },
      },
    }, async (req) => {
      const { id } = req.params;
      await exists(req, id);
      const from = req.query.from === undefined ? undefined : Date.parse(req.query.from);
      const to = req.query.to === undefined ? undefined : Date.parse(req.query.to);
      if (from !== undefined && to !== undefined && from >= to) throw new EdgeplaneError('ERR_INVALID_QUERY', '`from` must be before `to`');
      const r = energyReport(deps.readModels, id, req.query.unit, from, to);
      const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
      return { unit: r.unit, from: iso(r.from), to: iso(r.to), buckets: r.buckets.map((b) => ({ start: iso(b.start), end: iso(b.end), kwh: b.kwh })), totalKwh: r.totalKwh };
    });

    app.post('/:id/power', {
      schema: {
        params: Type.Object({ id: Id }),
        body: Type.Object({ on: Type.Boolean() }, { additionalProperties: false }),
        response: { 200: Type.Object({ requested: Type.String(), commandId: Type.String(), revision: Type.Integer() }), ...problems },
      },
    }, async (req) => {
      await exists(req, req.params.id);
      const answer = await runCommand(deps, 'daemon', req.params.id, { type: 'SwitchPower', data: { on: req.body.on } });
      return { requested: req.body.on ? 'on' : 'off', commandId: answer.commandId, revision: answer.revision };
    });
  };
}
