import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { renderView } from '../../render/views.ts';
import { sessionUser } from '../plugins/sessions.ts';
import { MAX_BODY_LENGTH } from '../../log/commands.ts';
import { postHtml } from '../../render/post-html.ts';
import { siteBase, siteLinks } from '../../render/links.ts';
import { pageMeta } from '../../render/page-meta.ts';
import { SeqText, SlugParams } from './schemas.ts';

const PAGE_SIZE = 50;
/** How long a page asked for `?at=SEQ` waits for this instance to show that seq. */
const AT_WAIT_MS = 3000;

const StreamQuery = Type.Object({ before: Type.Optional(SeqText), at: Type.Optional(SeqText) });

export async function pageRoutes(app: FastifyInstance): Promise<void> {
  app.get('/', async (request, reply) => {
    const user = await sessionUser(request);
    const streams = await app.livelog.streams.list();
    const csrfToken = user ? reply.generateCsrf() : '';
    return reply.type('text/html; charset=utf-8').send(renderView('home', { title: 'Streams', user, csrfToken, streams }));
  });

  app.get<{ Params: Static<typeof SlugParams>; Querystring: Static<typeof StreamQuery> }>(
    '/s/:slug',
    { schema: { params: SlugParams, querystring: StreamQuery } },
    async (request, reply) => {
      const projection = await app.livelog.projections.require(request.params.slug);
      const before = request.query.before === undefined ? undefined : Number(request.query.before);
      const at = request.query.at === undefined ? undefined : Number(request.query.at);
      // After a no-JavaScript post the author lands here with ?at=SEQ: if another instance took the
      // post, wait until this one has it, so the author sees what they just published.
      if (at !== undefined && at > projection.head) await app.livelog.projections.waitFor(projection, at, AT_WAIT_MS);
      const user = await sessionUser(request);
      const posts = projection.page(PAGE_SIZE + 1, before);
      const more = posts.length > PAGE_SIZE;
      const shown = posts.slice(0, PAGE_SIZE);
      reply.header('cache-control', 'no-store');
      return reply.type('text/html; charset=utf-8').send(
        renderView('stream', {
          userName: user?.name ?? '',
          admin: user?.admin ?? false,
          title: projection.stream.title,
          stream: projection.stream,
          user,
          csrfToken: user ? reply.generateCsrf() : '',
          canPost: user !== null && before === undefined,
          status: projection.status.status,
          idempotencyKey: randomUUID(),
          maxBody: MAX_BODY_LENGTH,
          head: projection.head,
          posts: shown.map((version) => ({ ...version, html: postHtml(version, projection.slug) })),
          live: before === undefined,
          olderBefore: more ? (shown.filter((v) => !v.post.pinned).at(-1)?.post.createdSeq ?? null) : null,
          script: 'live.js',
          meta: pageMeta({
            stream: projection.stream,
            posts: shown,
            links: siteLinks(siteBase(app.livelog.config.LIVELOG_PUBLIC_URL, request), projection.slug),
            endedAt: projection.endedAt,
            updated: projection.updatedAt,
          }),
        }),
      );
    },
  );
}
