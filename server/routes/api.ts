import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { parseResumePoint, replayAfter } from '../live/frames.ts';
import { publishPost, KEY_PATTERN, MAX_BODY_LENGTH } from '../stream/posts.ts';
import type { PostView } from '../stream/projection.ts';
import type { UserRecord } from '../auth/types.ts';
import { loadStream, SlugParams } from './pages.ts';

// The HTTP API for scripts and devices. Bearer tokens only: it never reads cookies, so a page on
// another site cannot make a logged-in browser publish (no CSRF surface).

const SinceQuery = Type.Object({ since: Type.Optional(Type.String({ maxLength: 50 })) });
const NewPostBody = Type.Object(
  { body: Type.String({ minLength: 1, maxLength: MAX_BODY_LENGTH }) },
  { additionalProperties: false },
);
const IdempotencyHeaders = Type.Object({ 'idempotency-key': Type.Optional(Type.String({ pattern: KEY_PATTERN })) });

function postJson(view: PostView) {
  const { post } = view;
  return {
    id: post.id,
    seq: view.seq,
    author: { name: post.author.name },
    body: post.body,
    html: view.html,
    createdAt: post.createdAt.toISOString(),
    createdSeq: post.createdSeq,
  };
}

async function bearerUser(request: FastifyRequest): Promise<UserRecord | null> {
  const match = /^Bearer ([A-Za-z0-9_-]{1,200})$/.exec(request.headers.authorization ?? '');
  return match ? request.server.livelog.tokens.userFor(match[1]!) : null;
}

export async function apiRoutes(app: FastifyInstance): Promise<void> {
  app.get<{ Params: Static<typeof SlugParams>; Querystring: Static<typeof SinceQuery> }>(
    '/streams/:slug/posts',
    { schema: { params: SlugParams, querystring: SinceQuery } },
    async (request, reply) => {
      const point = parseResumePoint(request.query.since);
      if (!point) return reply.badRequest('querystring/since must be SEQ or EPOCH.SEQ, like 42 or abc123.42');
      const projection = await loadStream(app, request.params.slug);
      const after = replayAfter(point, projection);
      return {
        stream: projection.slug,
        epoch: projection.stream.epoch,
        seq: projection.head,
        since: after,
        posts: projection.changesSince(after).map(postJson),
      };
    },
  );

  app.post<{ Params: Static<typeof SlugParams>; Body: Static<typeof NewPostBody>; Headers: Static<typeof IdempotencyHeaders> }>(
    '/streams/:slug/posts',
    {
      schema: { params: SlugParams, body: NewPostBody, headers: IdempotencyHeaders },
      // Authenticate before the body is validated: an anonymous caller learns nothing but 401.
      preValidation: async (request, reply) => {
        const user = await bearerUser(request);
        if (!user) {
          reply.header('www-authenticate', 'Bearer');
          return reply.unauthorized('A valid API token is needed: Authorization: Bearer TOKEN');
        }
        request.apiUser = user;
      },
    },
    async (request, reply) => {
      const user = request.apiUser!;
      const projection = await loadStream(app, request.params.slug);
      const { record, replayed } = await publishPost(projection, {
        author: { id: user._id, name: user.name },
        body: request.body.body,
        key: request.headers['idempotency-key'] ?? randomUUID(),
      });
      request.log.info({ stream: projection.slug, seq: record.seq, post: record.postId, replayed }, 'post published via API');
      if (replayed) reply.header('idempotent-replayed', 'true');
      return reply.code(201).send({
        id: record.postId,
        seq: record.seq,
        stream: projection.slug,
        createdAt: record.post.createdAt.toISOString(),
        url: `/s/${projection.slug}#post-${record.postId}`,
      });
    },
  );
}

declare module 'fastify' {
  interface FastifyRequest {
    apiUser?: UserRecord;
  }
}
