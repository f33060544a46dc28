import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { PostNotFound } from '../../errors.ts';
import type { StreamProjection } from '../../log/projection.ts';
import type { PostVersion } from '../../log/fold.ts';
import type { PostWindow } from '../../log/windows.ts';
import { renderView } from '../../render/views.ts';
import { siteBase, siteLinks } from '../../render/links.ts';
import { pageMeta } from '../../render/page-meta.ts';
import { sessionUser } from '../plugins/sessions.ts';
import { SeqText, SlugParams } from './schemas.ts';
import { PAGE_SIZE, type PageRequest, streamPageModel } from './stream-page.ts';
import { announcedStart, reviewPageModel } from './review-view.ts';

/** How long a page asked for `?at=SEQ` waits for this instance to show that seq. */
const AT_WAIT_MS = 3000;

const Order = Type.Union([Type.Literal('newest'), Type.Literal('oldest')]);
/** A post id in an address: anything else than a live post's id is a 404, not a validation error. */
const PostId = Type.String({ maxLength: 1000 });
const StreamQuery = Type.Object({
  before: Type.Optional(SeqText),
  after: Type.Optional(SeqText),
  at: Type.Optional(SeqText),
  order: Type.Optional(Order),
  /** The page a post falls on (where a permalink leads). */
  post: Type.Optional(PostId),
});
const PermalinkParams = Type.Object({ slug: SlugParams.properties.slug, id: PostId });
const PermalinkQuery = Type.Object({ at: Type.Optional(SeqText), order: Type.Optional(Order) });

/**
 * After a no-JavaScript change the author lands on a page with ?at=SEQ: if another instance took the
 * change, wait until this one has it, so the author sees what they just did.
 */
async function projectionAt(app: FastifyInstance, slug: string, at: string | undefined): Promise<StreamProjection> {
  const projection = await app.livelog.projections.require(slug);
  if (at !== undefined && Number(at) > projection.head) await app.livelog.projections.waitFor(projection, Number(at), AT_WAIT_MS);
  return projection;
}

export async function pageRoutes(app: FastifyInstance): Promise<void> {
  app.get<{ Params: Static<typeof SlugParams>; Querystring: Static<typeof StreamQuery> }>(
    '/s/:slug',
    { schema: { params: SlugParams, querystring: StreamQuery } },
    async (request, reply) => {
      const { query } = request;
      const projection = await projectionAt(app, request.params.slug, query.at);
      const order = query.order ?? projection.order;
      let window: PostWindow<PostVersion> | undefined;
      if (query.post !== undefined) {
        window = projection.windowContaining(query.post, order, PAGE_SIZE);
        if (!window) throw new PostNotFound();
      } else {
        const cursor = (text?: string) => (text === undefined ? undefined : Number(text));
        // Without a cursor, the live page: the newest posts, in either order (oldest first, the
        // window ending at the latest post, where new ones join).
        const before = cursor(query.before) ?? (order === 'oldest' && query.after === undefined ? projection.head + 1 : undefined);
        window = projection.window({ order, limit: PAGE_SIZE, before, after: cursor(query.after) });
        // A cursor past either end (a stale link, a hand-made address) shows nothing: the latest instead.
        const paged = query.before !== undefined || query.after !== undefined;
        if (paged && window.posts.length === 0 && projection.postCount > 0) {
          return reply.redirect(`/s/${projection.slug}${query.order ? `?order=${query.order}` : ''}`, 303);
        }
      }
      return sendStreamPage(request, reply, { projection, window, chosenOrder: query.order, highlight: query.post });
    },
  );

  // A post's own address: the page it falls on, at any depth, scrolled to it and highlighted. The
  // fragment needs a redirect (the server never sees one); it goes to another address, so no loop.
  app.get<{ Params: Static<typeof PermalinkParams>; Querystring: Static<typeof PermalinkQuery> }>(
    '/s/:slug/p/:id',
    { schema: { params: PermalinkParams, querystring: PermalinkQuery } },
    async (request, reply) => {
      const { slug, id } = request.params;
      const projection = await projectionAt(app, slug, request.query.at);
      if (!projection.post(id)) throw new PostNotFound();
      const query = new URLSearchParams({ post: id });
      if (request.query.order) query.set('order', request.query.order);
      if (request.query.at) query.set('at', request.query.at);
      return reply.redirect(`/s/${slug}?${query}#post-${id}`, 302);
    },
  );
}

async function sendStreamPage(request: FastifyRequest, reply: FastifyReply, page: Omit<PageRequest, 'user' | 'csrfToken'>) {
  const user = await sessionUser(request);
  const { projection, window } = page;
  const meta = pageMeta({
    stream: projection.stream,
    posts: [...window.pinned, ...window.posts],
    links: siteLinks(siteBase(request.server.livelog.config.LIVELOG_PUBLIC_URL, request), projection.slug),
    endedAt: projection.endedAt,
    updated: projection.updatedAt,
  });
  // The embed snippet's absolute addresses (without it, the page script uses the page's origin).
  const publicUrl = request.server.livelog.config.LIVELOG_PUBLIC_URL;
  const csrfToken = user ? reply.generateCsrf() : '';
  const model = { ...streamPageModel({ ...page, user, csrfToken }), meta, publicUrl, review: reviewPageModel(projection, user, csrfToken), startsAt: announcedStart(projection) };
  reply.header('cache-control', 'no-store');
  return reply.type('text/html; charset=utf-8').send(renderView('stream', model));
}
