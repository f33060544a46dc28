import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { renderView } from '../render/views.ts';
import { sessionUser } from '../plugins/sessions.ts';
import { StreamNotFound } from '../stream/errors.ts';
import { publishPost, KEY_PATTERN, MAX_BODY_LENGTH } from '../stream/posts.ts';
import { SLUG_PATTERN } from '../stream/types.ts';
import type { StreamProjection } from '../stream/projection.ts';

export const PAGE_SIZE = 50;
/** How long a page asked for `?at=SEQ` waits for this instance to show that seq. */
const AT_WAIT_MS = 3000;

export const SlugParams = Type.Object({ slug: Type.String({ pattern: SLUG_PATTERN }) });
const Seq = Type.String({ pattern: '^[0-9]{1,12}$' });
const StreamQuery = Type.Object({ before: Type.Optional(Seq), at: Type.Optional(Seq) });
const PostForm = Type.Object({
  body: Type.String({ maxLength: MAX_BODY_LENGTH + 1000 }),
  key: Type.String({ pattern: KEY_PATTERN }),
  _csrf: Type.String({ maxLength: 200 }),
});

export async function loadStream(app: FastifyInstance, slug: string): Promise<StreamProjection> {
  const projection = await app.livelog.projections.get(slug);
  if (!projection) throw new StreamNotFound(slug);
  return projection;
}

function wantsJson(request: FastifyRequest): boolean {
  return (request.headers.accept ?? '').includes('application/json');
}

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
      const projection = await loadStream(app, request.params.slug);
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
          title: projection.stream.title,
          stream: projection.stream,
          user,
          csrfToken: user ? reply.generateCsrf() : '',
          canPost: user !== null && before === undefined,
          idempotencyKey: randomUUID(),
          maxBody: MAX_BODY_LENGTH,
          head: projection.head,
          posts: shown,
          live: before === undefined,
          olderBefore: more ? shown[shown.length - 1]!.post.createdSeq : null,
          script: 'live.js',
        }),
      );
    },
  );

  // The author's form. Without JavaScript: 303 back to the page at the new seq. With JavaScript
  // (Accept: application/json): 201 with the post's id and seq, and the page stays as it is.
  app.post<{ Params: Static<typeof SlugParams>; Body: Static<typeof PostForm> }>(
    '/s/:slug/posts',
    { schema: { params: SlugParams, body: PostForm }, preHandler: app.csrfProtection },
    async (request, reply) => {
      const user = await sessionUser(request);
      if (!user) {
        if (wantsJson(request)) return reply.unauthorized('Your session has ended: log in again, your draft is kept');
        return reply.redirect(`/login?next=${encodeURIComponent(`/s/${request.params.slug}`)}`, 303);
      }
      const projection = await loadStream(app, request.params.slug);
      const { record, replayed } = await publishPost(projection, {
        author: { id: user._id, name: user.name },
        body: request.body.body,
        key: request.body.key,
      });
      request.log.info({ stream: projection.slug, seq: record.seq, post: record.postId, replayed }, 'post published');
      if (wantsJson(request)) return reply.code(201).send({ id: record.postId, seq: record.seq, replayed });
      return reply.redirect(`/s/${projection.slug}?at=${record.seq}#post-${record.postId}`, 303);
    },
  );
}
