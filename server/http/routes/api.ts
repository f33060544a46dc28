import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type, type Static } from '../../typebox.ts';
import { AdminOnly, ContributorsSubmit, PostNotFound } from '../../errors.ts';
import { deletePost, editPost, ensureMayPublish, KEY_PATTERN, MAX_BODY_LENGTH, markKeyMoment, pinPost, publishPost, setStatus } from '../../log/commands.ts';
import type { CurrentState } from '../../log/fold.ts';
import type { AppendResult } from '../../log/projection.ts';
import { parseResumePoint, replayAfter } from '../../log/resume.ts';
import { postHtml } from '../../render/post-html.ts';
import { actorOf } from '../../auth/users.ts';
import { Headline, PhotoFields, PostParams, SeqText, SlugParams } from './schemas.ts';
import { storePhotos } from '../../media/images.ts';
import { changerOf, guardChanges } from '../plugins/changes.ts';
import { changeableStream, markRestricted, readStream } from '../plugins/stream-access.ts';
import { apiAccessRoutes } from './api-access.ts';
import { ensureMaySubmit, submitPost } from '../../log/review-commands.ts';
import { pendingReply, reviewApiRoutes } from './review-api.ts';
import { parsePublishAt, PublishAt, scheduleApiRoutes, scheduledReply } from './schedule-api.ts';
import { schedulePost } from '../../log/schedule-commands.ts';

/** Entries per page of `GET …/posts`: one answer must not carry a whole stream's history. */
const DEFAULT_PAGE_ENTRIES = 100;
const MAX_PAGE_ENTRIES = 1000;
/** And about this many bytes of JSON: a thousand long posts would otherwise make one anonymous
 *  request cost tens of megabytes and most of a second. A page holds at least one entry. */
const MAX_PAGE_BYTES = 1024 * 1024;

// The HTTP API for scripts and devices. Bearer tokens only: it never reads cookies, so a page on
// another site cannot make a logged-in browser publish (no CSRF surface).

const PostsQuery = Type.Object({
  since: Type.Optional(Type.String({ maxLength: 50, description: 'SEQ or EPOCH.SEQ: what the caller already has' })),
  limit: Type.Optional(Type.String({ maxLength: 12, description: `entries per page, 1 to ${MAX_PAGE_ENTRIES} (default ${DEFAULT_PAGE_ENTRIES})` })),
  key: Type.Optional(Type.String({ maxLength: 100, description: 'a viewer link\'s key, for a private stream (or a member\'s token)' })),
});
const Body = Type.String({ minLength: 1, maxLength: MAX_BODY_LENGTH });
const BaseSeq = Type.Integer({ minimum: 1, maximum: 1e12, description: 'the version (seq) the change is made against' });
// Text may be empty when the post is a photo: publishPost checks that there is one or the other.
const NewPostBody = Type.Object(
  { body: Type.Optional(Type.String({ maxLength: MAX_BODY_LENGTH })), headline: Type.Optional(Headline), publishAt: Type.Optional(PublishAt), ...PhotoFields },
  { additionalProperties: false },
);
const PatchBody = Type.Union(
  [
    Type.Object({ body: Body, headline: Type.Optional(Headline), baseSeq: Type.Optional(BaseSeq) }, { additionalProperties: false }),
    Type.Object({ headline: Headline, baseSeq: Type.Optional(BaseSeq) }, { additionalProperties: false }),
    Type.Object({ pinned: Type.Boolean(), baseSeq: Type.Optional(BaseSeq) }, { additionalProperties: false }),
    Type.Object({ key: Type.Boolean(), baseSeq: Type.Optional(BaseSeq) }, { additionalProperties: false }),
  ],
  { description: 'new text and/or headline, a pin state, or a key-moment mark' },
);
const DeleteQuery = Type.Object({ baseSeq: Type.Optional(SeqText) });
const StatusBody = Type.Object({ status: Type.Union([Type.Literal('live'), Type.Literal('ended')]) }, { additionalProperties: false });
const IdempotencyHeaders = Type.Object({ 'idempotency-key': Type.Optional(Type.String({ pattern: KEY_PATTERN })) });

/** One entry of `GET …/posts?since=`: a post's current state, or the fact of its deletion. */
function latestJson(latest: Exclude<CurrentState, { kind: 'status' }>, slug: string) {
  switch (latest.kind) {
    case 'post': {
      const { post, seq } = latest;
      return {
        id: post.id,
        seq,
        author: { name: post.author.name },
        headline: post.headline ?? null,
        body: post.body,
        html: postHtml(latest, slug),
        pinned: post.pinned,
        key: post.key === true,
        createdAt: post.createdAt.toISOString(),
        createdSeq: post.createdSeq,
        editedAt: post.editedAt?.toISOString(),
        media: (post.media ?? []).map((m) => ({ ...m, url: `/s/${slug}/media/${m.id}.webp` })),
      };
    }
    case 'deleted':
      return { id: latest.postId, seq: latest.seq, deleted: true };
  }
}

function changeReply(reply: FastifyReply, { record, replayed }: AppendResult, statusCode = 200) {
  reply.request.log.info({ stream: record.stream, seq: record.seq, type: record.type, post: record.postId, replayed }, 'change via API');
  if (replayed) reply.header('idempotent-replayed', 'true');
  return reply.code(statusCode).send({
    id: record.postId,
    seq: record.seq,
    stream: record.stream,
    type: record.type,
    at: record.at.toISOString(),
    url: record.postId && record.type !== 'delete' ? `/s/${record.stream}/p/${record.postId}` : `/s/${record.stream}`,
  });
}

const keyOf = (request: FastifyRequest<{ Headers: Static<typeof IdempotencyHeaders> }>) => request.headers['idempotency-key'] ?? randomUUID();

export async function apiRoutes(app: FastifyInstance): Promise<void> {
  await app.register(apiReadRoutes);
  await app.register(apiChangeRoutes);
  await app.register(reviewApiRoutes);
  await app.register(scheduleApiRoutes);
}

/** Reading needs no token (a private stream's does: stream-access.ts), and spends no budget. */
async function apiReadRoutes(app: FastifyInstance): Promise<void> {
  // Pages of the compacted replay: each entry is a post's latest state (or its deletion) as of the
  // moment the page is read, in seq order. A post changed between two pages comes again in a later
  // one, with its newer seq, so applying the pages in order ends exactly where one read would.
  app.get<{ Params: Static<typeof SlugParams>; Querystring: Static<typeof PostsQuery> }>(
    '/streams/:slug/posts',
    { schema: { params: SlugParams, querystring: PostsQuery } },
    async (request, reply) => {
      const point = parseResumePoint(request.query.since);
      if (!point) return reply.badRequest('querystring/since must be SEQ or EPOCH.SEQ, like 42 or abc123.42');
      const limit = request.query.limit === undefined ? DEFAULT_PAGE_ENTRIES : Number(request.query.limit);
      if (!/^[0-9]+$/.test(request.query.limit ?? '0') || !Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_ENTRIES) {
        return reply.badRequest(`querystring/limit must be a whole number from 1 to ${MAX_PAGE_ENTRIES}`);
      }
      const { projection } = await readStream(request, reply, request.params.slug, 'bearer');
      markRestricted(reply, projection.access.visibility, 'private, no-store');
      const after = replayAfter(point, projection);
      // The stream's own status is the top-level `status`, so it takes no place in a page.
      const changes = projection.changesSince(after).filter((latest): latest is Exclude<CurrentState, { kind: 'status' }> => latest.kind !== 'status');
      const posts: ReturnType<typeof latestJson>[] = [];
      let bytes = 0;
      for (const latest of changes) {
        if (posts.length === limit || (posts.length > 0 && bytes >= MAX_PAGE_BYTES)) break;
        const entry = latestJson(latest, projection.slug);
        bytes += JSON.stringify(entry).length;
        posts.push(entry);
      }
      const last = posts.at(-1);
      return {
        stream: projection.slug,
        epoch: projection.stream.epoch,
        seq: projection.head,
        status: projection.status.status,
        since: after,
        posts,
        next: changes.length > posts.length && last ? `${projection.stream.epoch}.${last.seq}` : null,
      };
    },
  );

}

/**
 * Every writing route: the token is checked and the user's change budget spent before the body is
 * read; an anonymous caller learns nothing but 401.
 */
async function apiChangeRoutes(app: FastifyInstance): Promise<void> {
  guardChanges(app, 'bearer');
  await app.register(apiAccessRoutes);

  app.post<{ Params: Static<typeof SlugParams>; Body: Static<typeof NewPostBody>; Headers: Static<typeof IdempotencyHeaders> }>(
    '/streams/:slug/posts',
    { schema: { params: SlugParams, body: NewPostBody, headers: IdempotencyHeaders }, config: { photos: true } },
    async (request, reply) => {
      const projection = await changeableStream(request, request.params.slug);
      const actor = actorOf(changerOf(request));
      // A contributor's post is stored for an editor to approve (review-api.ts): 202, pending.
      if (actor.contributor && request.body.publishAt) throw new ContributorsSubmit();
      if (actor.contributor) ensureMaySubmit(projection, actor);
      else ensureMayPublish(projection, actor);
      const media = await storePhotos(app.livelog.images, request.body.photo, request.body.alt);
      const { body = '', headline } = request.body;
      const post = { actor, body, headline, key: keyOf(request), media };
      if (actor.contributor) return pendingReply(reply, await submitPost(projection, post));
      const { publishAt } = request.body;
      if (publishAt) return scheduledReply(reply, await schedulePost(projection, app.livelog.scheduleHints, { ...post, publishAt: parsePublishAt(publishAt) }));
      return changeReply(reply, await publishPost(projection, post), 201);
    },
  );

  app.patch<{ Params: Static<typeof PostParams>; Body: Static<typeof PatchBody>; Headers: Static<typeof IdempotencyHeaders> }>(
    '/streams/:slug/posts/:id',
    { schema: { params: PostParams, body: PatchBody, headers: IdempotencyHeaders } },
    async (request, reply) => {
      const projection = await changeableStream(request, request.params.slug);
      const change = { actor: actorOf(changerOf(request)), postId: request.params.id, baseSeq: request.body.baseSeq, key: keyOf(request) };
      const patch = request.body;
      let result: AppendResult;
      if ('pinned' in patch) result = await pinPost(projection, { ...change, pinned: patch.pinned });
      else if ('key' in patch) result = await markKeyMoment(projection, { ...change, keyMoment: patch.key });
      else result = await editPost(projection, { ...change, body: 'body' in patch ? patch.body : undefined, headline: patch.headline });
      return changeReply(reply, result);
    },
  );

  app.delete<{ Params: Static<typeof PostParams>; Querystring: Static<typeof DeleteQuery>; Headers: Static<typeof IdempotencyHeaders> }>(
    '/streams/:slug/posts/:id',
    { schema: { params: PostParams, querystring: DeleteQuery, headers: IdempotencyHeaders } },
    async (request, reply) => {
      const projection = await changeableStream(request, request.params.slug);
      const baseSeq = request.query.baseSeq === undefined ? undefined : Number(request.query.baseSeq);
      const result = await deletePost(projection, { actor: actorOf(changerOf(request)), postId: request.params.id, baseSeq, key: keyOf(request) });
      return changeReply(reply, result);
    },
  );

  // Legal and privacy requests: an admin redacts a post's old versions (all of them once it is
  // deleted) and the photos nothing else shows.
  app.post<{ Params: Static<typeof PostParams> }>(
    '/streams/:slug/posts/:id/purge',
    { schema: { params: PostParams } },
    async (request) => {
      const changer = changerOf(request);
      if (!changer.admin) throw new AdminOnly();
      const projection = await app.livelog.projections.require(request.params.slug);
      const result = await app.livelog.purge(projection.slug, request.params.id);
      if (!result) throw new PostNotFound();
      request.log.warn({ stream: projection.slug, post: request.params.id, ...result, by: changer.name }, 'post history purged');
      return { purgedVersions: result.records, deletedPhotos: result.photos };
    },
  );

  app.put<{ Params: Static<typeof SlugParams>; Body: Static<typeof StatusBody>; Headers: Static<typeof IdempotencyHeaders> }>(
    '/streams/:slug/status',
    { schema: { params: SlugParams, body: StatusBody, headers: IdempotencyHeaders } },
    async (request, reply) => {
      const projection = await changeableStream(request, request.params.slug);
      const result = await setStatus(projection, { actor: actorOf(changerOf(request)), status: request.body.status, key: keyOf(request) });
      return changeReply(reply, result);
    },
  );
}
