import type { FastifyInstance } from 'fastify';
import websocket from '@fastify/websocket';
import { Type, type Static } from '@sinclair/typebox';
import { parseResumePoint, replayAfter } from '../live/frames.ts';
import { SlugParams } from './pages.ts';

const LiveQuery = Type.Object({ since: Type.Optional(Type.String({ maxLength: 50 })) });

// Close codes in the application range (4000-4999) tell the client not to retry blindly.
const CLOSE_NOT_FOUND = 4404;
const CLOSE_BAD_REQUEST = 4400;
const CLOSE_UNAVAILABLE = 4503;

export async function liveRoutes(app: FastifyInstance): Promise<void> {
  await app.register(websocket, { options: { maxPayload: 4096 } });

  app.get<{ Params: Static<typeof SlugParams>; Querystring: Static<typeof LiveQuery> }>(
    '/s/:slug/live',
    {
      websocket: true,
      schema: { params: SlugParams, querystring: LiveQuery },
      // Browsers send Origin on websockets and do not apply CORS to them: refuse other sites' pages.
      preValidation: async (request, reply) => {
        const origin = request.headers.origin;
        if (origin && safeHost(origin) !== request.headers.host) {
          return reply.code(403).send({ statusCode: 403, code: 'LIVELOG_BAD_ORIGIN', error: 'Forbidden', message: 'Cross-site websocket refused' });
        }
      },
    },
    async (socket, request) => {
      const point = parseResumePoint(request.query.since);
      if (!point) return socket.close(CLOSE_BAD_REQUEST, 'since must be SEQ or EPOCH.SEQ');
      let projection;
      try {
        projection = await app.livelog.projections.get(request.params.slug);
      } catch (error) {
        request.log.warn({ err: error }, 'live: stream could not be loaded');
        return socket.close(CLOSE_UNAVAILABLE, 'database unavailable');
      }
      if (!projection) return socket.close(CLOSE_NOT_FOUND, 'no such stream');
      if (socket.readyState !== socket.OPEN) return;
      app.livelog.hub.attach(projection, socket, replayAfter(point, projection));
    },
  );
}

function safeHost(origin: string): string | null {
  try {
    return new URL(origin).host;
  } catch {
    return null;
  }
}
