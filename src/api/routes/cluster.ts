import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { EdgeplaneError } from '../../shared/errors.js';
import type { ApiDeps } from '../deps.js';

const Process = Type.Object({
  processId: Type.String(),
  leader: Type.Boolean(),
  partitions: Type.Array(Type.Integer()),
  leaseAgeMs: Type.Union([Type.Number(), Type.Null()]),
});

export const ClusterStatusSchema = Type.Object({
  processId: Type.String({ description: 'The process that answered' }),
  partitions: Type.Integer(),
  ttlMs: Type.Integer(),
  leader: Type.Union([Type.Object({ processId: Type.String(), token: Type.Integer(), leaseAgeMs: Type.Number() }), Type.Null()]),
  processes: Type.Array(Process),
});

/** `GET /v1/cluster`: the processes, the leader and its fencing token, who holds which partition, lease ages. */
export function clusterRoutes(deps: ApiDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get('/', { schema: { tags: ['cluster'], summary: 'Processes, leader, partitions and lease ages', response: { 200: ClusterStatusSchema } } }, async () => {
      if (!deps.cluster) throw new EdgeplaneError('ERR_NOT_FOUND', 'this API runs without a cluster');
      return deps.cluster.status();
    });
  };
}
