import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { DependentDevice, GatewayState } from '../../actors/kinds/gateway.types.js';
import { EdgeplaneError, StreamNotFoundError } from '../../shared/errors.js';
import { runCommand } from '../commands.js';
import type { ApiDeps } from '../deps.js';
import { Doc, Id, problems } from '../schemas.js';

const Status = Type.Union([Type.Literal('Running'), Type.Literal('Paused')]);

/** A dependent device in edge-node-manager's own field names (its users' tools read these), plus ours. */
function enmDevice(gateway: string, d: DependentDevice) {
  const u = d.update;
  return {
    ApplicationUUID: d.provisioned?.application ?? null,
    BoardType: d.boardType,
    Name: d.provisioned?.name ?? null,
    LocalUUID: d.localId,
    ResinUUID: `${gateway}:${d.localId}`,
    Commit: d.commit,
    TargetCommit: u?.commit ?? d.commit,
    Status: u?.status === 'updating' ? 'Updating' : d.online === false ? 'Offline' : d.online === null ? 'Unknown' : 'Idle',
    Config: null,
    TargetConfig: { RESIN_HOST_TYPE: d.boardType },
    Environment: null,
    TargetEnvironment: {},
    RestartFlag: d.restartRequestedAt !== null,
    DeleteFlag: d.deleteRequestedAt !== null,
    Online: d.online,
    Update: u && { status: u.status, attempt: u.attempt?.number ?? null, attemptsUsed: u.attemptsUsed, maxAttempts: u.maxAttempts, percent: u.attempt?.percent ?? null, lastError: u.lastError },
  };
}

/** `/v1/gateways/:gw/` — edge-node-manager's API (`enm/status`, `devices`) over the gateway actor. */
export function gatewayRoutes(deps: ApiDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    const gateway = async (gw: string) => {
      const { state, revision } = await deps.host.inspect('gateway', gw);
      if (revision < 0) throw new StreamNotFoundError(`gateway-${gw}`);
      return state as GatewayState;
    };
    const device = async (gw: string, uuid: string) => {
      const d = (await gateway(gw)).devices[uuid];
      if (!d) throw new EdgeplaneError('ERR_DEVICE_NOT_FOUND', `gateway ${gw} has no dependent device ${uuid}`, { gateway: gw, uuid });
      return d;
    };
    const statusOf = (s: GatewayState) => ({ currentStatus: s.currentStatus, targetStatus: s.targetStatus });
    const StatusBody = Type.Object({ currentStatus: Type.Union([Status, Type.Null()]), targetStatus: Status });
    const GwParams = Type.Object({ gw: Id });
    const DeviceParams = Type.Object({ gw: Id, uuid: Id });

    app.get('/:gw/enm/status', { schema: { params: GwParams, response: { 200: StatusBody, ...problems } } }, async (req) => statusOf(await gateway(req.params.gw)));

    app.put('/:gw/enm/status', {
      schema: { params: GwParams, body: Type.Object({ targetStatus: Status }, { additionalProperties: false }), response: { 200: StatusBody, ...problems } },
    }, async (req) => {
      await gateway(req.params.gw);
      await runCommand(deps, 'gateway', req.params.gw, { type: 'SetTargetStatus', data: { targetStatus: req.body.targetStatus } });
      return statusOf(await gateway(req.params.gw));
    });

    app.get('/:gw/devices', { schema: { params: GwParams, response: { 200: Type.Array(Doc), ...problems } } }, async (req) => {
      const s = await gateway(req.params.gw);
      return Object.values(s.devices).map((d) => enmDevice(req.params.gw, d)) as never[];
    });

    app.get('/:gw/devices/:uuid', { schema: { params: DeviceParams, response: { 200: Doc, ...problems } } }, async (req) =>
      enmDevice(req.params.gw, await device(req.params.gw, req.params.uuid)) as never,
    );

    app.put('/:gw/devices/:uuid/firmware', {
      config: { role: 'admin' },
      schema: {
        params: DeviceParams,
        body: Type.Object({ commit: Type.String({ minLength: 1, maxLength: 64 }), maxAttempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 20 })) }, { additionalProperties: false }),
        response: { 200: Doc, ...problems },
      },
    }, async (req) => {
      await device(req.params.gw, req.params.uuid);
      await runCommand(deps, 'gateway', req.params.gw, { type: 'SetTargetFirmware', data: { localId: req.params.uuid, ...req.body } });
      return enmDevice(req.params.gw, await device(req.params.gw, req.params.uuid)) as never;
    });

    app.get('/:gw/devices/:uuid/update', { schema: { params: DeviceParams, response: { 200: Doc, ...problems } } }, async (req) => {
      const d = await device(req.params.gw, req.params.uuid);
      return { LocalUUID: d.localId, Commit: d.commit, ...(enmDevice(req.params.gw, d).Update ?? { status: 'none' }) } as never;
    });
  };
}
