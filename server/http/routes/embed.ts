import type { FastifyInstance } from 'fastify';
import type { Static } from '@sinclair/typebox';
import { renderView } from '../../render/views.ts';
import { postHtml } from '../../render/post-html.ts';
import { embeddable } from '../plugins/security.ts';
import { SlugParams } from './schemas.ts';

// A stream's chrome-less live view for other sites to frame: its posts, live badge and key moments,
// no navigation and no author tools, kept current by the same page script as the stream page. It
// is the one page that may be framed (LIVELOG_EMBED_ORIGINS); links open in the top window.

const EMBED_SIZE = 30;

/** A key moment without a headline is listed by the start of its text, Markdown marks left out. */
function excerpt(markdown: string): string {
  const text = markdown.replace(/[*_`#>[\]()!]/g, '').replace(/\s+/g, ' ').trim();
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}

export async function embedRoutes(app: FastifyInstance): Promise<void> {
  app.get<{ Params: Static<typeof SlugParams> }>(
    '/s/:slug/embed',
    { schema: { params: SlugParams }, helmet: embeddable(app.livelog.config.LIVELOG_EMBED_ORIGINS) },
    async (request, reply) => {
      const projection = await app.livelog.projections.require(request.params.slug);
      const shown = projection.page(EMBED_SIZE);
      reply.header('cache-control', 'no-store');
      return reply.type('text/html; charset=utf-8').send(
        renderView('embed', {
          title: projection.stream.title,
          stream: projection.stream,
          status: projection.status.status,
          head: projection.head,
          // The newest change among the posts shown (the stream page has the whole log's).
          lastUpdated: shown.map(({ post }) => post.editedAt ?? post.createdAt).sort((a, b) => b.getTime() - a.getTime())[0],
          posts: shown.map((version) => ({ ...version, html: postHtml(version, projection.slug) })),
          // The key moments among the posts shown, oldest first like the stream page's list.
          keyMoments: shown
            .filter((version) => version.post.key)
            .sort((a, b) => a.post.createdSeq - b.post.createdSeq)
            .map(({ post }) => ({ id: post.id, createdAt: post.createdAt, text: post.headline ?? excerpt(post.body) })),
        }),
      );
    },
  );
}
