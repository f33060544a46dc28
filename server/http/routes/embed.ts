import type { FastifyInstance } from 'fastify';
import type { Static } from '@sinclair/typebox';
import { renderView } from '../../render/views.ts';
import { postHtml } from '../../render/post-html.ts';
import { embeddable } from '../plugins/security.ts';
import { SlugParams } from './schemas.ts';
import { keyMomentLinks } from './stream-page.ts';
import { markRestricted, readStream } from '../plugins/stream-access.ts';

// A stream's chrome-less live view for other sites to frame: its posts, live badge and key moments,
// no navigation and no author tools, kept current by the same page script as the stream page. It
// is the one page that may be framed (LIVELOG_EMBED_ORIGINS); links open in the top window.

const EMBED_SIZE = 30;

export async function embedRoutes(app: FastifyInstance): Promise<void> {
  app.get<{ Params: Static<typeof SlugParams> }>(
    '/s/:slug/embed',
    { schema: { params: SlugParams }, helmet: embeddable(app.livelog.config.LIVELOG_EMBED_ORIGINS) },
    async (request, reply) => {
      const { projection } = await readStream(request, reply, request.params.slug);
      const { order } = projection;
      // The newest posts in either order: oldest first reads them down to the latest.
      const window = projection.window({ order, limit: EMBED_SIZE, before: order === 'oldest' ? projection.head + 1 : undefined });
      const shown = [...window.pinned, ...window.posts];
      reply.header('cache-control', 'no-store');
      markRestricted(reply, projection.access.visibility);
      return reply.type('text/html; charset=utf-8').send(
        renderView('embed', {
          title: projection.stream.title,
          stream: projection.stream,
          status: projection.status.status,
          head: projection.head,
          order,
          lastUpdated: projection.updatedAt,
          posts: shown.map((version) => ({ ...version, html: postHtml(version, projection.slug) })),
          keyMoments: keyMomentLinks(projection),
        }),
      );
    },
  );
}
