import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { StreamRecord, StreamStatus } from '../../log/records.ts';
import type { Projections } from '../../log/projections.ts';
import { renderView } from '../../render/views.ts';
import { sessionUser } from '../plugins/sessions.ts';

/** Streams the home page describes (status, last update): each is a projection in memory, so bounded. */
const HOME_STREAMS = 50;
/** Projections loaded at once for the home page: a cold start must not read fifty logs together. */
const LOAD_CONCURRENCY = 4;

const FAVICON = readFileSync(fileURLToPath(new URL('../../../client/favicon.svg', import.meta.url)));

export interface StreamSummary {
  stream: StreamRecord;
  /** Unknown when the stream could not be loaded just now (database away, too many open). */
  status?: StreamStatus;
  lastUpdate?: Date;
  posts?: number;
}

export async function homeRoutes(app: FastifyInstance): Promise<void> {
  app.get('/', async (request, reply) => {
    const user = await sessionUser(request);
    const streams = await app.livelog.streams.list();
    const summaries = await summarise(app.livelog.projections, streams.slice(0, HOME_STREAMS));
    const csrfToken = user ? reply.generateCsrf() : '';
    reply.header('cache-control', 'no-store');
    return reply
      .type('text/html; charset=utf-8')
      .send(renderView('home', { title: 'Live streams', user, csrfToken, summaries, more: Math.max(0, streams.length - HOME_STREAMS) }));
  });

  // Browsers ask for /favicon.ico whatever the page says: the same SVG answers both, cached for a day.
  for (const path of ['/favicon.svg', '/favicon.ico']) {
    app.get(path, (_request, reply) => reply.header('cache-control', 'public, max-age=86400').type('image/svg+xml').send(FAVICON));
  }
}

async function summarise(projections: Projections, streams: StreamRecord[]): Promise<StreamSummary[]> {
  const summaries: StreamSummary[] = [];
  for (let i = 0; i < streams.length; i += LOAD_CONCURRENCY) {
    summaries.push(...(await Promise.all(streams.slice(i, i + LOAD_CONCURRENCY).map((stream) => summary(projections, stream)))));
  }
  return summaries;
}

async function summary(projections: Projections, stream: StreamRecord): Promise<StreamSummary> {
  const projection = await projections.get(stream._id).catch(() => null);
  if (!projection) return { stream };
  return {
    stream,
    status: projection.status.status,
    posts: projection.postCount,
    // The stream's last change, as its page's "Last updated" says; kept by the fold, not sorted out per request.
    lastUpdate: projection.updatedAt,
  };
}
