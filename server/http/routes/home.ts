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
  status: StreamStatus;
  lastUpdate?: Date;
  posts: number;
}

export async function homeRoutes(app: FastifyInstance): Promise<void> {
  app.get('/', async (request, reply) => {
    const user = await sessionUser(request);
    const streams = await app.livelog.streams.list();
    const { summaries, examined } = await summarise(app.livelog.projections, streams);
    const csrfToken = user ? reply.generateCsrf() : '';
    reply.header('cache-control', 'no-store');
    // Older streams not looked at: only those made public count (whether one was made private
    // since is in its log, not read for this), so the number tells nothing of private streams.
    const more = streams.slice(examined).filter((stream) => (stream.visibility ?? 'public') === 'public').length;
    return reply.type('text/html; charset=utf-8').send(renderView('home', { title: 'Live streams', user, csrfToken, summaries, more }));
  });

  // Browsers ask for /favicon.ico whatever the page says: the same SVG answers both, cached for a day.
  for (const path of ['/favicon.svg', '/favicon.ico']) {
    app.get(path, (_request, reply) => reply.header('cache-control', 'public, max-age=86400').type('image/svg+xml').send(FAVICON));
  }
}

/** The newest public streams, up to HOME_STREAMS; and how many streams it looked at to find them. */
async function summarise(projections: Projections, streams: StreamRecord[]): Promise<{ summaries: StreamSummary[]; examined: number }> {
  const summaries: StreamSummary[] = [];
  let examined = 0;
  while (examined < streams.length && summaries.length < HOME_STREAMS) {
    const batch = streams.slice(examined, examined + Math.min(LOAD_CONCURRENCY, HOME_STREAMS - summaries.length));
    examined += batch.length;
    for (const listed of await Promise.all(batch.map((stream) => summary(projections, stream)))) if (listed) summaries.push(listed);
  }
  return { summaries, examined };
}

/** A public stream's summary; null for one that is not (unlisted, private, or unknown just now). */
async function summary(projections: Projections, stream: StreamRecord): Promise<StreamSummary | null> {
  const projection = await projections.get(stream._id).catch(() => null);
  // Whether it is public is in its log: a stream that cannot be read just now is not listed.
  if (projection?.access.visibility !== 'public') return null;
  return {
    stream,
    status: projection.status.status,
    posts: projection.postCount,
    // The stream's last change, as its page's "Last updated" says; kept by the fold, not sorted out per request.
    lastUpdate: projection.updatedAt,
  };
}
