import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import websocket from '@fastify/websocket';
import { Type, type Static } from '../../typebox.ts';
import { parseResumePoint, replayAfter } from '../../log/resume.ts';
import { websocketTransport } from '../../live/websocket.ts';
import { sseTransport } from '../../live/sse.ts';
import { sendError, statusOf } from '../plugins/errors.ts';
import { SlugParams } from './schemas.ts';
import { CLOSE_BAD_RESUME_POINT, CLOSE_STREAM_GONE, CLOSE_UNAVAILABLE } from '../../../shared/protocol.ts';
import { StreamNotFound, TooManyViewers } from '../../errors.ts';
import { liveVisitor, readStream, rememberViewer, type StreamRead, stillAdmitted } from '../plugins/stream-access.ts';
import { countViewerCut } from '../../metrics/metrics.ts';

const LiveQuery = Type.Object({ since: Type.Optional(Type.String({ maxLength: 50 })), key: Type.Optional(Type.String({ maxLength: 100 })) });
type LiveRequest = { Params: Static<typeof SlugParams>; Querystring: Static<typeof LiveQuery> };


/**
 * A place for the viewer, taken before the upgrade (or the event stream) and given back when the
 * connection ends, however it ends: the response's `close` fires once, for both transports.
 */
async function admitViewer(request: FastifyRequest, reply: FastifyReply) {
  const admitted = request.server.livelog.admission.admit(request.ip);
  if (typeof admitted === 'function') {
    reply.raw.once('close', admitted);
    return;
  }
  request.log.info({ code: admitted.code, address: request.ip }, 'live connection refused');
  countViewerCut(admitted instanceof TooManyViewers ? 'full' : 'address_full');
  reply.header('retry-after', String(request.server.livelog.admission.retryAfterSeconds));
  return sendError(request, reply, statusOf(admitted), admitted.code, admitted.message);
}

/** Browsers send Origin on websockets and do not apply CORS to them: refuse other sites' pages. */
async function sameOrigin(request: FastifyRequest, reply: FastifyReply) {
  const origin = request.headers.origin;
  if (origin && hostOf(origin) !== request.headers.host) {
    return reply.forbidden('Cross-site connection refused');
  }
}

export async function liveRoutes(app: FastifyInstance): Promise<void> {
  // Viewers send nothing but pongs (see InboundBudget): a message bigger than this closes the socket.
  await app.register(websocket, { options: { maxPayload: 1024 } });

  app.get<LiveRequest>(
    '/s/:slug/live',
    { websocket: true, schema: { params: SlugParams, querystring: LiveQuery }, preValidation: sameOrigin, preHandler: admitViewer },
    async (socket, request) => {
      // Listening from the first moment: messages sent while the stream loads count too.
      const transport = websocketTransport(socket, request.raw.socket);
      const point = parseResumePoint(request.query.since);
      if (!point) return socket.close(CLOSE_BAD_RESUME_POINT, 'since must be SEQ or EPOCH.SEQ');
      let read: StreamRead;
      try {
        read = await readStream(request, undefined, request.params.slug);
      } catch (error) {
        // A stream this viewer may not watch closes just as one that does not exist.
        if (error instanceof StreamNotFound) return socket.close(CLOSE_STREAM_GONE, 'no such stream');
        request.log.warn({ err: error }, 'live: stream could not be loaded');
        return socket.close(CLOSE_UNAVAILABLE, 'database unavailable');
      }
      const { projection } = read;
      const visitor = await liveVisitor(request, read);
      if (socket.readyState !== socket.OPEN) return;
      // Access may have changed while the stream loaded: checked again in the tick of the attach.
      if (!stillAdmitted(projection, visitor)) return socket.close(CLOSE_STREAM_GONE, 'no such stream');
      rememberViewer(transport, visitor);
      app.livelog.hub.attach(projection, transport, replayAfter(point, projection));
    },
  );

  // Server-Sent Events: the same hub and replay, for when a websocket cannot be opened. The
  // browser's automatic reconnect sends Last-Event-ID, which wins over `since`.
  app.get<LiveRequest>(
    '/s/:slug/events',
    { schema: { params: SlugParams, querystring: LiveQuery }, preValidation: sameOrigin, preHandler: admitViewer },
    async (request, reply) => {
      const lastEventId = request.headers['last-event-id'];
      const point = parseResumePoint(typeof lastEventId === 'string' && lastEventId ? lastEventId : request.query.since);
      if (!point) return reply.badRequest('since (or Last-Event-ID) must be SEQ or EPOCH.SEQ');
      const read = await readStream(request, reply, request.params.slug);
      const { projection } = read;
      const visitor = await liveVisitor(request, read);
      if (!stillAdmitted(projection, visitor)) throw new StreamNotFound(request.params.slug);
      reply.hijack();
      // The viewer may have left while the stream loaded: its close has fired already, and a viewer
      // attached now would never be detached (a count that only grows, a stream never dropped).
      if (reply.raw.destroyed || request.raw.socket.destroyed) return;
      const transport = sseTransport(reply.raw, projection.stream.epoch);
      rememberViewer(transport, visitor);
      app.livelog.hub.attach(projection, transport, replayAfter(point, projection));
    },
  );
}

function hostOf(origin: string): string | null {
  try {
    return new URL(origin).host;
  } catch {
    return null;
  }
}
