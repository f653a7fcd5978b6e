import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { toErrorBody, type ErrorBody } from '../shared/errors.js';

/** HTTP knows codes; the domain never knows HTTP. Domain rejections not listed here are 422. */
const STATUS: Record<string, number> = {
  ERR_INVALID_ID: 400,
  ERR_WRONG_PARTITION: 400,
  ERR_INVALID_COMMAND: 400,
  ERR_INVALID_QUERY: 400,
  ERR_UNKNOWN_COMMAND: 400,
  ERR_INVALID_TIMESTAMP: 400,
  ERR_UNAUTHENTICATED: 401,
  ERR_FORBIDDEN: 403,
  ERR_NOT_FOUND: 404,
  ERR_STREAM_NOT_FOUND: 404,
  ERR_UNKNOWN_KIND: 404,
  ERR_INTERACTION_NOT_FOUND: 404,
  ERR_DEVICE_NOT_FOUND: 404,
  ERR_WRONG_EXPECTED_REVISION: 409,
  ERR_INTERACTION_CONFLICT: 409,
  ERR_INTERACTION_EXISTS: 409,
  ERR_PAYLOAD_TOO_LARGE: 413,
  ERR_RATE_LIMITED: 429,
  ERR_UNAVAILABLE: 503,
  ERR_INTERNAL: 500,
};

export function statusOf(code: string): number {
  return STATUS[code] ?? 422;
}

/** Sends `{code, message, details?}` as application/problem+json with the code's status. */
export function sendProblem(reply: FastifyReply, body: ErrorBody, status = statusOf(body.code)): FastifyReply {
  return reply.code(status).type('application/problem+json').send({ status, ...body });
}

/** One error handler for every route: schema failures are 400s, nothing leaks a stack. */
export function registerProblemHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err.validation) return sendProblem(reply, { code: 'ERR_INVALID_REQUEST', message: `${err.validationContext ?? 'request'} ${err.message}` }, 400);
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendProblem(reply, { code: 'ERR_PAYLOAD_TOO_LARGE', message: 'request body larger than 1 MiB' }, 413);
    if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return sendProblem(reply, { code: 'ERR_UNSUPPORTED_MEDIA_TYPE', message: err.message }, 415);
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500 && !(err as { isDomainRejection?: boolean }).isDomainRejection && !('details' in err)) {
      return sendProblem(reply, { code: err.code ?? 'ERR_BAD_REQUEST', message: err.message }, err.statusCode);
    }
    const body = toErrorBody(err);
    if (body.code === 'ERR_INTERNAL') req.log.error({ err }, 'request failed');
    return sendProblem(reply, body.code === 'ERR_INTERNAL' ? { code: 'ERR_INTERNAL', message: 'internal error' } : body);
  });
  app.setNotFoundHandler((req, reply) => sendProblem(reply, { code: 'ERR_NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0]}` }, 404));
}
