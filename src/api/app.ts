import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Logger } from '../shared/logger.js';
import { registerRateLimit } from './access.js';
import { registerAuth } from './auth.js';
import type { ApiDeps, ApiOptions } from './deps.js';
import { registerProblemHandler } from './problems.js';
import { actorRoutes } from './routes/actors.js';
import { blockRoutes } from './routes/blocks.js';
import { brewbloxRoutes } from './routes/brewblox.js';
import { daemonRoutes } from './routes/daemons.js';
import { gatewayRoutes } from './routes/gateways.js';
import { healthRoutes } from './routes/health.js';
import { clusterRoutes } from './routes/cluster.js';
import { interactionRoutes } from './routes/interactions.js';
import { streamRoutes } from './routes/stream.js';
import { systemRoutes } from './routes/system.js';
import { whoAmIRoutes } from './routes/whoami.js';
import { uiPlugin } from '../ui/index.js';

/** The HTTP API, separate from listen() (Fastify's template): tests and the control plane both call it. */
export function buildApp(deps: ApiDeps, opts: ApiOptions & { logger?: Logger } = {}): FastifyInstance {
  const app = Fastify({
    // pino's Logger satisfies Fastify's logger; the cast keeps the app's type the default one.
    loggerInstance: opts.logger as FastifyBaseLogger | undefined,
    bodyLimit: 1024 * 1024,
    // Live streams never end on their own: closing the app ends them.
    forceCloseConnections: true,
    // Extra fields are refused (400), not silently dropped; query strings are coerced.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();
  registerProblemHandler(app);
  registerAuth(app, opts.apiKeys);
  registerRateLimit(app, opts.rateLimit ?? { perSecond: 500, burst: 1000 });
  // OpenAPI from the routes' own schemas; the UI's assets ship in the package (no CDN).
  app.register(swagger, { openapi: { info: { title: 'edgeplane', version: '0.1.0', description: 'Event-sourced control plane for edge hardware' } } });
  app.register(swaggerUi, { routePrefix: '/docs' });
  app.register(healthRoutes(deps));
  app.register(systemRoutes(deps), { prefix: '/v1/system' });
  app.register(actorRoutes(deps), { prefix: '/v1/actors' });
  app.register(interactionRoutes(deps), { prefix: '/v1/interactions' });
  app.register(daemonRoutes(deps), { prefix: '/v1/daemons' });
  app.register(blockRoutes(deps), { prefix: '/v1/blocks' });
  app.register(gatewayRoutes(deps), { prefix: '/v1/gateways' });
  app.register(streamRoutes(deps), { prefix: '/v1/stream' });
  app.register(clusterRoutes(deps), { prefix: '/v1/cluster' });
  app.register(whoAmIRoutes({ keyed: opts.apiKeys !== undefined }), { prefix: '/v1/whoami' });
  app.register(brewbloxRoutes(deps));
  app.register(uiPlugin());
  return app;
}
