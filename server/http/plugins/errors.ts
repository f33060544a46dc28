import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import sensible from '@fastify/sensible';
import {
  MongoError,
  MongoNetworkError,
  MongoNetworkTimeoutError,
  MongoNotConnectedError,
  MongoOperationTimeoutError,
  MongoServerClosedError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
} from 'mongodb';
import type { DatabaseHealth } from '../../db/database.ts';
import { BrokenMultipart, DatabaseUnavailable, type ErrorCode, LivelogError } from '../../errors.ts';
import { renderView } from '../../render/views.ts';
import { errorPage } from './error-pages.ts';

/** The HTTP status each of Livelog's own errors answers with (the catalogue is server/errors.ts). */
const STATUS: Record<ErrorCode, number> = {
  LIVELOG_STREAM_NOT_FOUND: 404,
  LIVELOG_STREAM_EXISTS: 409,
  LIVELOG_INVALID_SLUG: 400,
  LIVELOG_INVALID_TITLE: 400,
  LIVELOG_KEY_REUSED: 409,
  LIVELOG_DATABASE_UNAVAILABLE: 503,
  LIVELOG_APPEND_CONTENTION: 503,
  LIVELOG_TOO_MANY_OPEN_STREAMS: 503,
  LIVELOG_EMPTY_POST: 400,
  LIVELOG_POST_TOO_LONG: 400,
  LIVELOG_INVALID_TEXT: 400,
  LIVELOG_INVALID_HEADLINE: 400,
  LIVELOG_POST_NOT_FOUND: 404,
  LIVELOG_STALE_POST: 409,
  LIVELOG_NOT_YOUR_POST: 403,
  LIVELOG_STREAM_ENDED: 409,
  LIVELOG_STATUS_UNCHANGED: 409,
  LIVELOG_NOT_AN_AUTHOR: 403,
  LIVELOG_ADMIN_ONLY: 403,
  LIVELOG_MEMBERSHIP_UNCHANGED: 409,
  LIVELOG_CONTRIBUTORS_SUBMIT: 403,
  LIVELOG_NOT_A_CONTRIBUTOR: 403,
  LIVELOG_NOT_AN_EDITOR: 403,
  LIVELOG_SUBMISSION_NOT_FOUND: 404,
  LIVELOG_ALREADY_REVIEWED: 409,
  LIVELOG_TOO_MANY_PENDING: 429,
  LIVELOG_INVALID_REASON: 400,
  LIVELOG_INVALID_PUBLISH_AT: 400,
  LIVELOG_TOO_MANY_SCHEDULED: 429,
  LIVELOG_SCHEDULED_NOT_FOUND: 404,
  LIVELOG_NOT_DUE: 409,
  LIVELOG_VISIBILITY_UNCHANGED: 409,
  LIVELOG_TOO_MANY_VIEWER_LINKS: 409,
  LIVELOG_NO_VIEWER_LINKS: 409,
  LIVELOG_INVALID_VISIBILITY: 400,
  LIVELOG_USER_EXISTS: 409,
  LIVELOG_USER_NOT_FOUND: 404,
  LIVELOG_INVALID_USER_NAME: 400,
  LIVELOG_WEAK_PASSWORD: 400,
  LIVELOG_LAST_ADMIN: 409,
  LIVELOG_OWN_ACCOUNT: 409,
  LIVELOG_TOKEN_NOT_FOUND: 404,
  LIVELOG_INVALID_TOKEN_ID: 400,
  LIVELOG_PASSWORD_CHECKS_BUSY: 503,
  LIVELOG_RATE_LIMITED: 429,
  LIVELOG_TOO_MANY_VIEWERS: 503,
  LIVELOG_TOO_MANY_VIEWERS_FROM_ADDRESS: 429,
  LIVELOG_NOT_AN_IMAGE: 415,
  LIVELOG_IMAGE_TOO_LARGE: 413,
  LIVELOG_TOO_MANY_PHOTOS: 400,
  LIVELOG_MEDIA_NOT_FOUND: 404,
  LIVELOG_NOT_A_FILE: 400,
  LIVELOG_UPLOAD_TOO_LARGE: 413,
  LIVELOG_PHOTOS_NOT_ACCEPTED: 415,
  LIVELOG_UPLOADS_BUSY: 503,
  LIVELOG_BROKEN_MULTIPART: 400,
  LIVELOG_PHOTO_NEEDS_DESCRIPTION: 400,
};

/** The status an error answers with: Livelog's own by code, Fastify's and its plugins' their own. */
export function statusOf(error: Error & { statusCode?: number }): number {
  const statusCode = error instanceof LivelogError ? STATUS[error.code] : error.statusCode;
  return statusCode && statusCode >= 400 && statusCode < 600 ? statusCode : 500;
}

/** A Livelog error code, if the error carries one; a driver's error has a numeric code. */
export function livelogCode(error: { code?: unknown }): string | undefined {
  return typeof error.code === 'string' && error.code.startsWith('LIVELOG_') ? error.code : undefined;
}

/**
 * One error policy for the whole app: 4xx answers say what was wrong; 5xx answers say nothing
 * internal. Browsers get a small page, everything else JSON `{statusCode, code, error, message}`.
 */
export async function registerErrors(app: FastifyInstance): Promise<void> {
  await app.register(sensible);

  app.setErrorHandler((raw: FastifyError, request, reply) => {
    // (Not request.raw.destroyed: a request stream is destroyed as soon as its body has been read.)
    const clientGone = Boolean(request.raw.socket?.destroyed);
    // A body that ends before its multipart closing boundary looks to the parser like a client that
    // left; while the client is still there to read an answer, it is a broken body.
    const brokenMultipart = isBrokenMultipart(raw) || (isClientAbort(raw) && !clientGone && request.isMultipart());
    const error = isDatabaseOutage(raw, request.server.livelog.database) ? new DatabaseUnavailable({ cause: raw }) : brokenMultipart ? new BrokenMultipart({ cause: raw }) : raw;
    const statusCode = statusOf(error);
    // Livelog's own 5xx (database down, too busy) are conditions, not bugs: said, and logged as such.
    const exposed = statusCode < 500 || error instanceof LivelogError || livelogCode(error) !== undefined;
    if (clientGone) {
      // The client went away mid-request (an upload abandoned): nobody to answer, nothing broken.
      request.log.info({ code: raw.code, message: raw.message }, 'client went away');
      if (reply.raw.destroyed) return;
    } else if (!exposed) request.log.error({ err: raw }, 'request failed');
    else if (statusCode >= 500) request.log.warn({ code: error.code, message: error.message }, 'request not served');
    else request.log.info({ code: error.code, message: error.message }, 'request refused');
    const message = exposed ? error.message : 'Something went wrong on our side; it has been logged';
    if (statusCode === 503 && !reply.hasHeader('retry-after')) reply.header('retry-after', '5');
    // A body refused half-read is not worth reading to the end just to keep the connection.
    if (statusCode === 413) reply.header('connection', 'close');
    sendError(request, reply, statusCode, codeOf(error, statusCode), message, error);
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
  error?: FastifyError,
): FastifyReply {
  reply.code(statusCode);
  if (wantsHtml(request)) {
    const page = errorPage(statusCode, code, message, request, error);
    return reply.type('text/html; charset=utf-8').send(renderView('error', {
        title: page.heading,
        statusCode,
        reason: httpReason(statusCode),
        ...page,
        // Who is signed in would take a database read, which a failing request should not wait on
        // (a 503 is often the database itself): a signed-in visitor just is not offered "Log in".
        user: null,
        signedIn: Boolean(request.session?.userId),
      }));
  }
  return reply.send({ statusCode, code, error: httpReason(statusCode), message });
}

/**
 * The code a client can act on. Livelog's own errors name themselves; Fastify's and its plugins'
 * (`FST_ERR_…`, or none at all for `reply.unauthorized()`) are named by what happened.
 */
function codeOf(error: FastifyError, statusCode: number): string {
  const own = livelogCode(error);
  if (own) return own;
  if (error.validation) return 'LIVELOG_INVALID_REQUEST';
  return (
    {
      400: 'LIVELOG_INVALID_REQUEST',
      401: 'LIVELOG_UNAUTHORIZED',
      403: error.code === 'FST_CSRF_INVALID_TOKEN' || error.code === 'FST_CSRF_MISSING_SECRET' ? 'LIVELOG_CSRF' : 'LIVELOG_FORBIDDEN',
      404: 'LIVELOG_NOT_FOUND',
      405: 'LIVELOG_METHOD_NOT_ALLOWED',
      406: 'LIVELOG_NOT_ACCEPTABLE',
      408: 'LIVELOG_REQUEST_TIMEOUT',
      409: 'LIVELOG_CONFLICT',
      413: 'LIVELOG_TOO_LARGE',
      414: 'LIVELOG_URL_TOO_LONG',
      415: 'LIVELOG_UNSUPPORTED_MEDIA_TYPE',
      429: 'LIVELOG_RATE_LIMITED',
      431: 'LIVELOG_HEADERS_TOO_LARGE',
      503: 'LIVELOG_UNAVAILABLE',
    }[statusCode] ?? (statusCode >= 500 ? 'LIVELOG_INTERNAL' : 'LIVELOG_BAD_REQUEST')
  );
}

function wantsHtml(request: FastifyRequest): boolean {
  if (request.url.startsWith('/api/')) return false;
  const accept = request.headers.accept ?? '';
  return accept.includes('text/html') && !accept.includes('application/json');
}

function httpReason(statusCode: number): string {
  return (
    { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 408: 'Request Timeout', 409: 'Conflict', 413: 'Payload Too Large', 415: 'Unsupported Media Type', 429: 'Too Many Requests', 431: 'Request Header Fields Too Large', 503: 'Service Unavailable' }[
      statusCode
    ] ?? (statusCode >= 500 ? 'Internal Server Error' : 'Error')
  );
}

/** The multipart parser (busboy) throws plain errors, with no status, for bodies it cannot read. */
function isBrokenMultipart(error: FastifyError): boolean {
  return !error.statusCode && /^Multipart: |Unexpected end of (form|multipart data)|Malformed part header|Part terminated early/.test(error.message);
}

function isClientAbort(error: FastifyError): boolean {
  return error.code === 'ERR_STREAM_PREMATURE_CLOSE' || error.code === 'ECONNRESET' || error.message === 'Premature close' || error.message === 'aborted';
}

/**
 * Requests Node refuses before Fastify sees them (headers too large, a malformed request line,
 * headers that never finish) get the same JSON shape and a code like every other error.
 */
export function clientErrorHandler(this: FastifyInstance, error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [statusCode, code, message] =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'LIVELOG_REQUEST_TIMEOUT', 'The request did not arrive in time']
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'LIVELOG_HEADERS_TOO_LARGE', 'The request headers (or the URL) are too large']
        : [400, 'LIVELOG_BAD_REQUEST', 'The request is not valid HTTP'];
  this.log.debug({ code: error.code }, 'malformed request');
  const body = JSON.stringify({ statusCode, code, error: httpReason(statusCode), message });
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${statusCode} ${httpReason(statusCode)}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy();
}

/**
 * The database cannot be reached: a 503 to retry, not a bug. Which driver error says so depends on
 * the moment the connection broke (selection, the socket, a pool being cleared, a server closing),
 * so while the driver itself sees no server, any driver error counts as the outage.
 */
function isDatabaseOutage(error: unknown, database: DatabaseHealth): boolean {
  return (
    error instanceof MongoServerSelectionError ||
    error instanceof MongoNetworkError ||
    error instanceof MongoNetworkTimeoutError ||
    error instanceof MongoOperationTimeoutError ||
    error instanceof MongoServerClosedError ||
    error instanceof MongoTopologyClosedError ||
    error instanceof MongoNotConnectedError ||
    (error instanceof MongoError && !database.isAvailable()) ||
    // The driver can also hand on the socket's own error when the database dies mid-command.
    (error instanceof Error && ['EPIPE', 'ECONNREFUSED', 'ENOTCONN'].includes((error as NodeJS.ErrnoException).code ?? '') && /mongodb/.test(error.stack ?? ''))
  );
}
