import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type, type Static, type TSchema } from '../../typebox.ts';
import { actorOf } from '../../auth/users.ts';
import { NotAnAuthor, NotYourPost, PostNotFound } from '../../errors.ts';
import {
  deletePost,
  editPost,
  ensureMayPublish,
  KEY_PATTERN,
  MAX_BODY_LENGTH,
  MAX_HEADLINE_LENGTH,
  markKeyMoment,
  pinPost,
  publishPost,
  setStatus,
} from '../../log/commands.ts';
import type { AppendResult, StreamProjection } from '../../log/projection.ts';
import type { Actor } from '../../log/records.ts';
import { postSummary } from '../../render/post-html.ts';
import { renderView } from '../../render/views.ts';
import { sessionUser } from '../plugins/sessions.ts';
import { Headline, PhotoFields, PostParams, SeqText as Seq, SlugParams } from './schemas.ts';
import { storePhotos } from '../../media/images.ts';
import { ensureDescribed } from '../../media/descriptions.ts';
import { changerOf, guardChanges, wantsJson } from '../plugins/changes.ts';
import { submitFromPage } from './review.ts';
import { scheduleFromPage } from './schedule.ts';
import { changeableStream, readStream } from '../plugins/stream-access.ts';

// What authors do from the page: session cookie plus CSRF token. Without JavaScript a form answers
// 303 back to the page at the new seq; with JavaScript (Accept: application/json) it answers JSON
// and the page stays as it is.

const Form = <T extends Record<string, TSchema>>(fields: T) =>
  Type.Object({ ...fields, key: Type.String({ pattern: KEY_PATTERN }), _csrf: Type.Optional(Type.String({ maxLength: 200 })) });

const Flag = Type.Union([Type.Literal('true'), Type.Literal('false')]);
const NewPostForm = Form({
  body: Type.Optional(Type.String({ maxLength: MAX_BODY_LENGTH + 1000 })),
  headline: Type.Optional(Headline),
  ...PhotoFields,
  /** The author's "This photo is decorative" box: publish with alt="" on purpose. */
  decorative: Type.Optional(Type.Literal('true')),
  /** "Publish at": empty publishes now; a time stores the post for then (schedule.ts). */
  publishAt: Type.Optional(Type.String({ maxLength: 40 })),
});
// Without `headline` (the page script's in-place edit) the headline stays; an empty one removes it.
const EditForm = Form({ body: Type.String({ maxLength: MAX_BODY_LENGTH + 1000 }), headline: Type.Optional(Headline), baseSeq: Seq });
const PinForm = Form({ pinned: Flag });
const KeyForm = Form({ keyMoment: Flag });
/** Without JavaScript, deleting takes a second step: the form without `confirm` asks first. */
const DeleteForm = Form({ baseSeq: Type.Optional(Seq), confirm: Type.Optional(Type.Literal('yes')) });
const StatusForm = Form({ status: Type.Union([Type.Literal('live'), Type.Literal('ended')]) });

/**
 * Runs an author's change: the group's guards have already found who is signed in (before the
 * body was read); loads the stream, appends, and answers the way the caller can use (JSON for the
 * page's script, a 303 for a plain form).
 */
async function authorChange(
  request: FastifyRequest<{ Params: { slug: string } }>,
  reply: FastifyReply,
  change: (projection: StreamProjection, actor: Actor) => Promise<AppendResult>,
) {
  const { slug } = request.params;
  const projection = await changeableStream(request, slug);
  const { record, replayed } = await change(projection, actorOf(changerOf(request)));
  request.log.info({ stream: slug, seq: record.seq, type: record.type, post: record.postId, replayed }, 'change from the page');
  if (wantsJson(request)) return reply.code(record.type === 'post' ? 201 : 200).send({ id: record.postId, seq: record.seq, type: record.type, replayed });
  if (!record.postId || record.type === 'delete') return reply.redirect(`/s/${slug}?at=${record.seq}`, 303);
  // A new post is on the latest page; a changed one wherever it falls, highlighted.
  const page = record.type === 'post' ? '' : `post=${record.postId}&`;
  return reply.redirect(`/s/${slug}?${page}at=${record.seq}#post-${record.postId}`, 303);
}

export async function authorRoutes(app: FastifyInstance): Promise<void> {
  await app.register(authorChangeRoutes);

  // The Markdown source and version of one post, for editing in place.
  app.get<{ Params: Static<typeof PostParams> }>('/s/:slug/posts/:id', { schema: { params: PostParams } }, async (request, reply) => {
    const view = (await readStream(request, reply, request.params.slug)).projection.post(request.params.id);
    if (!view) throw new PostNotFound();
    reply.header('cache-control', 'no-store');
    const { post } = view;
    return { id: post.id, seq: view.seq, body: post.body, headline: post.headline ?? '', pinned: post.pinned, key: post.key === true, author: post.author.name };
  });

  // The edit page: the same edit as in place, as a plain form (no JavaScript needed).
  app.get<{ Params: Static<typeof PostParams> }>('/s/:slug/posts/:id/edit', { schema: { params: PostParams } }, async (request, reply) => {
    const { slug, id } = request.params;
    const user = await sessionUser(request);
    if (!user) return reply.redirect(`/login?next=${encodeURIComponent(`/s/${slug}/posts/${id}/edit`)}`, 303);
    const { projection } = await readStream(request, reply, slug);
    const view = projection.post(id);
    if (!view) throw new PostNotFound();
    if (!user.admin && (view.post.author.id !== user._id || !projection.authors.has(user._id))) throw new NotYourPost();
    reply.header('cache-control', 'no-store');
    return reply.type('text/html; charset=utf-8').send(
      renderView('edit', {
        title: 'Edit an update',
        user,
        csrfToken: reply.generateCsrf(),
        stream: projection.stream,
        slug,
        post: view.post,
        seq: view.seq,
        idempotencyKey: randomUUID(),
        maxBody: MAX_BODY_LENGTH,
        maxHeadline: MAX_HEADLINE_LENGTH,
      }),
    );
  });
}

async function authorChangeRoutes(app: FastifyInstance): Promise<void> {
  // Who, and their budget, before the body; the CSRF token is in the body, so it is checked after.
  guardChanges(app, 'session');
  app.addHook('preHandler', app.csrfProtection);

  app.post<{ Params: Static<typeof SlugParams>; Body: Static<typeof NewPostForm> }>(
    '/s/:slug/posts',
    { schema: { params: SlugParams, body: NewPostForm }, config: { photos: true } },
    (request, reply) =>
      // A contributor's post waits for an editor instead (review.ts); one with a time waits for it (schedule.ts).
      changerOf(request).contributor
        ? submitFromPage(request, reply)
        : request.body.publishAt?.trim()
          ? scheduleFromPage(request, reply)
          : authorChange(request, reply, async (projection, actor) => {
        ensureMayPublish(projection, actor);
        ensureDescribed(request.body.photo, request.body.alt, request.body.decorative === 'true');
        const media = await storePhotos(app.livelog.images, request.body.photo, request.body.alt);
        const { body = '', headline, key } = request.body;
        return publishPost(projection, { actor, body, headline, key, media });
      }),
  );

  app.post<{ Params: Static<typeof PostParams>; Body: Static<typeof EditForm> }>(
    '/s/:slug/posts/:id/edit',
    { schema: { params: PostParams, body: EditForm } },
    (request, reply) =>
      authorChange(request, reply, (projection, actor) =>
        editPost(projection, {
          actor,
          postId: request.params.id,
          baseSeq: Number(request.body.baseSeq),
          body: request.body.body,
          headline: request.body.headline,
          key: request.body.key,
        }),
      ),
  );

  app.post<{ Params: Static<typeof PostParams>; Body: Static<typeof KeyForm> }>(
    '/s/:slug/posts/:id/key',
    { schema: { params: PostParams, body: KeyForm } },
    (request, reply) =>
      authorChange(request, reply, (projection, actor) =>
        markKeyMoment(projection, { actor, postId: request.params.id, keyMoment: request.body.keyMoment === 'true', key: request.body.key }),
      ),
  );

  app.post<{ Params: Static<typeof PostParams>; Body: Static<typeof PinForm> }>(
    '/s/:slug/posts/:id/pin',
    { schema: { params: PostParams, body: PinForm } },
    (request, reply) =>
      authorChange(request, reply, (projection, actor) =>
        pinPost(projection, { actor, postId: request.params.id, pinned: request.body.pinned === 'true', key: request.body.key }),
      ),
  );

  app.post<{ Params: Static<typeof PostParams>; Body: Static<typeof DeleteForm> }>(
    '/s/:slug/posts/:id/delete',
    { schema: { params: PostParams, body: DeleteForm } },
    async (request, reply) => {
      if (request.body.confirm !== 'yes' && !wantsJson(request)) return confirmDeletion(request, reply);
      const baseSeq = request.body.baseSeq === undefined ? undefined : Number(request.body.baseSeq);
      return authorChange(request, reply, (projection, actor) =>
        deletePost(projection, { actor, postId: request.params.id, baseSeq, key: request.body.key }),
      );
    },
  );

  app.post<{ Params: Static<typeof SlugParams>; Body: Static<typeof StatusForm> }>(
    '/s/:slug/status',
    { schema: { params: SlugParams, body: StatusForm } },
    (request, reply) =>
      authorChange(request, reply, (projection, actor) => setStatus(projection, { actor, status: request.body.status, key: request.body.key })),
  );
}

/** The no-JavaScript "are you sure?" step of deleting: the same form again, confirmed, with a fresh key. */
async function confirmDeletion(request: FastifyRequest<{ Params: Static<typeof PostParams>; Body: Static<typeof DeleteForm> }>, reply: FastifyReply) {
  const { slug, id } = request.params;
  const projection = await changeableStream(request, slug);
  const view = projection.post(id);
  if (!view) throw new PostNotFound();
  // Only someone who may delete it is asked (the same rules as deletePost).
  const changer = changerOf(request);
  if (!changer.admin && !projection.authors.has(changer._id)) throw new NotAnAuthor();
  if (!changer.admin && view.post.author.id !== changer._id) throw new NotYourPost();
  reply.header('cache-control', 'no-store');
  return reply.type('text/html; charset=utf-8').send(
    renderView('confirm-delete', {
      title: 'Delete this update?',
      user: changer,
      csrfToken: reply.generateCsrf(),
      slug,
      post: view.post,
      summary: postSummary(view.post, 200),
      baseSeq: request.body.baseSeq,
      key: randomUUID(),
    }),
  );
}
