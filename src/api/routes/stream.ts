import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { serializeEvent } from '../../eventstore/eventStore.js';
import { addressOfStream } from '../../shared/ids.js';
import { atLeast } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { Id, Kind } from '../schemas.js';

/**
 * `GET /v1/stream` — Server-Sent Events: every event (`event: event`) and every system-view
 * delta (`event: change`), optionally only for one `kind` (and `id`). The SSE id is the global
 * position, so a client reconnecting with `Last-Event-ID` misses nothing and sees nothing twice.
 */
export function streamRoutes(deps: ApiDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    // Prepared on first use: the projection thread creates the table shortly after start.
    let statements: { firstChangeAfter: { get(p: number): unknown }; changesSince: { all(s: number): unknown[] } } | undefined;
    const sql = () =>
      (statements ??= {
        firstChangeAfter: deps.readModels.prepare('SELECT COALESCE(MIN(seq) - 1, (SELECT COALESCE(MAX(seq), 0) FROM sv_changes)) FROM sv_changes WHERE position > ?').pluck(),
        changesSince: deps.readModels.prepare('SELECT seq, kind, id, change, position FROM sv_changes WHERE seq > ? ORDER BY seq LIMIT 1000'),
      });

    app.get('/', {
      schema: {
        querystring: Type.Object({ kind: Type.Optional(Kind), id: Type.Optional(Id), after: Type.Optional(Type.Integer({ minimum: 0 })) }, { additionalProperties: false }),
        headers: Type.Object({ 'last-event-id': Type.Optional(Type.String({ pattern: '^[0-9]{1,15}$' })) }),
      },
    }, async (req, reply) => {
      const { kind, id } = req.query;
      const lastEventId = req.headers['last-event-id'];
      const after = lastEventId !== undefined ? Number(lastEventId) : (req.query.after ?? (await deps.store.headPosition()));
      const wanted = (k: string, i: string) => (kind === undefined || k === kind) && (id === undefined || i === id);
      // Plugs are visible to their owners only (and admins): others never learn they exist.
      const owners = new Map<string, string | null>();
      const visible = async (k: string, i: string) => {
        if (k !== 'daemon' || atLeast(req.principal, 'admin')) return true;
        if (!owners.has(i)) owners.set(i, ((await deps.host.inspect('daemon', i)).state as { owner?: string | null }).owner ?? null);
        return owners.get(i) === req.principal.user;
      };
      const abort = new AbortController();
      reply.hijack();
      const out = reply.raw;
      out.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
      out.write(': edgeplane stream\n\n');
      // The response's close (not the request's, which fires once a GET has been read) means the client left.
      out.on('close', () => abort.abort());

      // The feed's table appears when the projection thread first runs: until then, no deltas.
      let seq: number | undefined;
      const deltas = setInterval(() => {
        try {
          seq ??= sql().firstChangeAfter.get(after) as number;
          for (const c of sql().changesSince.all(seq) as Array<{ seq: number; kind: string; id: string; change: string; position: number }>) {
            seq = c.seq;
            if (wanted(c.kind, c.id) && (c.kind !== 'daemon' || owners.get(c.id) === req.principal.user || atLeast(req.principal, 'admin'))) out.write(`id: ${c.position}\nevent: change\ndata: {"seq":${c.seq},"kind":${JSON.stringify(c.kind)},"id":${JSON.stringify(c.id)},"change":${c.change}}\n\n`);
          }
        } catch (err) {
          statements = undefined;
          req.log.debug({ err }, 'system-view feed not readable yet');
        }
      }, 100);
      const keepAlive = setInterval(() => out.write(': keep-alive\n\n'), 15_000);
      try {
        for await (const batch of deps.store.subscribeAll({ after, signal: abort.signal })) {
          let chunk = '';
          for (const e of batch) {
            const a = addressOfStream(e.stream);
            if (a && wanted(a.kind, a.id) && (await visible(a.kind, a.id))) chunk += `id: ${e.position}\nevent: event\ndata: ${serializeEvent(e)}\n\n`;
          }
          if (chunk && !out.write(chunk)) await new Promise((r) => out.once('drain', r));
        }
      } catch (err) {
        req.log.warn({ err }, 'live stream ended on an error');
      } finally {
        clearInterval(deltas);
        clearInterval(keepAlive);
        out.end();
      }
    });
  };
}
