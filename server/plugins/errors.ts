import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import sensible from '@fastify/sensible';
import createError from '@fastify/error';
import { MongoNetworkError, MongoServerSelectionError, MongoNetworkTimeoutError } from 'mongodb';
import { DatabaseUnavailable } from '../stream/errors.ts';
import { renderView } from '../render/views.ts';

/**
 * One error policy for the whole app: 4xx answers say what was wrong; 5xx answers say nothing
 * internal. Browsers get a small page, everything else JSON `{statusCode, code, error, message}`.
 */
export async function registerErrors(app: FastifyInstance): Promise<void> {
  await app.register(sensible);

  app.setErrorHandler((raw: FastifyError, request, reply) => {
    const error = isDatabaseOutage(raw) ? new DatabaseUnavailable({ cause: raw }) : isBrokenMultipart(raw) ? new BrokenMultipart({ cause: raw }) : raw;
    const statusCode = error.statusCode && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
    const exposed = statusCode < 500 || error instanceof DatabaseUnavailable;
    if (statusCode >= 500) request.log.error({ err: raw }, 'request failed');
    else request.log.info({ code: error.code, message: error.message }, 'request refused');
    const message = exposed ? error.message : 'Something went wrong on our side; it has been logged';
    if (statusCode === 503) reply.header('retry-after', '5');
    sendError(request, reply, statusCode, error.code ?? 'LIVELOG_INTERNAL', message);
  });

  app.setNotFoundHandler((request, reply) => {
    sendError(request, reply, 404, 'LIVELOG_NOT_FOUND', `Nothing at ${request.method} ${request.url.split('?')[0]}`);
  });
}

export function sendError(
  request: FastifyRequest,
  reply: FastifyReply,
  statusCode: number,
  code: string,
  message: string,
): FastifyReply {
  reply.code(statusCode);
  if (wantsHtml(request)) {
    return reply.type('text/html; charset=utf-8').send(renderView('error', { title: 'Error', statusCode, message, user: null }));
  }
  return reply.send({ statusCode, code, error: httpReason(statusCode), message });
}

function wantsHtml(request: FastifyRequest): boolean {
  if (request.url.startsWith('/api/')) return false;
  const accept = request.headers.accept ?? '';
  return accept.includes('text/html') && !accept.includes('application/json');
}

function httpReason(statusCode: number): string {
  return (
    { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict', 413: 'Payload Too Large', 415: 'Unsupported Media Type', 429: 'Too Many Requests', 503: 'Service Unavailable' }[
      statusCode
    ] ?? (statusCode >= 500 ? 'Internal Server Error' : 'Error')
  );
}

const BrokenMultipart = createError('LIVELOG_BROKEN_MULTIPART', 'The multipart/form-data body is malformed', 400);

/** The multipart parser (busboy) throws plain errors, with no status, for bodies it cannot read. */
function isBrokenMultipart(error: FastifyError): boolean {
  return !error.statusCode && /^Multipart: |Unexpected end of (form|multipart data)|Malformed part header|Part terminated early/.test(error.message);
}

function isDatabaseOutage(error: unknown): boolean {
  return (
    error instanceof MongoServerSelectionError ||
    error instanceof MongoNetworkError ||
    error instanceof MongoNetworkTimeoutError
  );
}
