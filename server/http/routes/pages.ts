import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type, type Static } from '../../typebox.ts';
import { PostNotFound } from '../../errors.ts';
import type { PostVersion } from '../../log/fold.ts';
import type { PostWindow } from '../../log/windows.ts';
import { renderView } from '../../render/views.ts';
import { siteBase, siteLinks } from '../../render/links.ts';
import { pageMeta } from '../../render/page-meta.ts';
import { sessionUser } from '../plugins/sessions.ts';
import { markRestricted, readStream, type StreamRead, addressWithoutKey } from '../plugins/stream-access.ts';
import { SeqText, SlugParams } from './schemas.ts';
import { PAGE_SIZE, type PageRequest, streamPageModel } from './stream-page.ts';
import { announcedStart, reviewPageModel } from './review-view.ts';

/** How long a page asked for `?at=SEQ` waits for this instance to show that seq. */
const AT_WAIT_MS = 3000;

const Order = Type.Union([Type.Literal('newest'), Type.Literal('oldest')]);
/** A post id in an address: anything else than a live post's id is a 404, not a validation error. */
const PostId = Type.String({ maxLength: 1000 });
/** A viewer link's key: checked by stream-access.ts, which then drops it from the address. */
const ViewerKey = Type.Optional(Type.String({ maxLength: 100 }));
const StreamQuery = Type.Object({
  key: ViewerKey,
  before: Type.Optional(SeqText),
  after: Type.Optional(SeqText),
  at: Type.Optional(SeqText),
  order: Type.Optional(Order),
  /** The page a post falls on (where a permalink leads). */
  post: Type.Optional(PostId),
});
const PermalinkParams = Type.Object({ slug: SlugParams.properties.slug, id: PostId });
const PermalinkQuery = Type.Object({ key: ViewerKey, at: Type.Optional(SeqText), order: Type.Optional(Order) });

/**
 * After a no-JavaScript change the author lands on a page with ?at=SEQ: if another instance took the
 * change, wait until this one has it, so the author sees what they just did.
 */
async function projectionAt(request: FastifyRequest, reply: FastifyReply, slug: string, at: string | undefined): Promise<StreamRead> {
  const read = await readStream(request, reply, slug);
  const { projection } = read;
  if (at !== undefined && Number(at) > projection.head) await request.server.livelog.projections.waitFor(projection, Number(at), AT_WAIT_MS);
  return read;
}

export async function pageRoutes(app: FastifyInstance): Promise<void> {
  app.get<{ Params: Static<typeof SlugParams>; Querystring: Static<typeof StreamQuery> }>(
    '/s/:slug',
    { schema: { params: SlugParams, querystring: StreamQuery } },
    async (request, reply) => {
      const { query } = request;
      const read = await projectionAt(request, reply, request.params.slug, query.at);
      // The viewer link did its work (a cookie for this stream): the key leaves the address bar,
      // the history and anything a reader might copy from there.
      if (read.keyInAddress) return reply.redirect(addressWithoutKey(request.url), 303);
      const { projection } = read;
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
      const { projection } = await projectionAt(request, reply, slug, request.query.at);
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
  markRestricted(reply, projection.access.visibility);
  const sharing = pageMeta({
    stream: projection.stream,
    posts: [...window.pinned, ...window.posts],
    links: siteLinks(siteBase(request.server.livelog.config.LIVELOG_PUBLIC_URL, request), projection.slug),
    endedAt: projection.endedAt,
    updated: projection.updatedAt,
  });
  // Search engines are told to stay away from a stream not everyone may find: no JSON-LD for them.
  const meta = projection.access.visibility === 'public' ? sharing : { ...sharing, jsonLd: '', noindex: true };
  // The embed snippet's absolute addresses (without it, the page script uses the page's origin).
  const publicUrl = request.server.livelog.config.LIVELOG_PUBLIC_URL;
  const csrfToken = user ? reply.generateCsrf() : '';
  const model = {
    ...streamPageModel({ ...page, user, csrfToken }),
    meta,
    publicUrl,
    signInUnchecked: request.signInUnchecked,
    signedIn: request.signInUnchecked,
    review: reviewPageModel(projection, user, csrfToken),
    startsAt: announcedStart(projection),
  };
  reply.header('cache-control', 'no-store');
  return reply.type('text/html; charset=utf-8').send(renderView('stream', model));
}
