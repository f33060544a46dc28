import type { FastifyInstance, FastifyReply } from 'fastify';
import { Type, type Static } from '../../typebox.ts';
import { actorOf } from '../../auth/users.ts';
import { InvalidPublishAt } from '../../errors.ts';
import { ensureAuthor, KEY_PATTERN, MAX_BODY_LENGTH } from '../../log/commands.ts';
import type { AppendResult } from '../../log/projection.ts';
import { announceStart, cancelScheduled, editScheduled } from '../../log/schedule-commands.ts';
import { changeableStream } from '../plugins/stream-access.ts';
import { changerOf, guardChanges } from '../plugins/changes.ts';
import { Headline, PostParams, SlugParams } from './schemas.ts';
import { randomUUID } from 'node:crypto';

// Scheduled posts over the API: `POST …/posts` with `publishAt` schedules one (api.ts); these list,
// change and cancel what is scheduled. A token of the stream's author or an admin, like any change.

/** What `publishAt` may be: an ISO date-time (with `Z` or an offset); a form's local "2026-12-01T18:00" counts as UTC. */
export const PublishAt = Type.String({ maxLength: 40, description: 'ISO 8601 date-time, like 2026-12-01T18:00:00Z' });

export function parsePublishAt(text: string): Date {
  const iso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})?$/.exec(text.trim());
  if (!iso) throw new InvalidPublishAt(90);
  return new Date(iso[3] ? text.trim() : `${text.trim()}Z`);
}

const ScheduledParams = PostParams;
const EditBody = Type.Object(
  { body: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_BODY_LENGTH })), headline: Type.Optional(Headline), publishAt: Type.Optional(PublishAt) },
  { additionalProperties: false, minProperties: 1 },
);
const StartBody = Type.Object({ startsAt: Type.Union([PublishAt, Type.Null()]) }, { additionalProperties: false });
const IdempotencyHeaders = Type.Object({ 'idempotency-key': Type.Optional(Type.String({ pattern: KEY_PATTERN })) });

/** A post stored for later: 202, its id, status and time. */
export function scheduledReply(reply: FastifyReply, { record, replayed }: AppendResult) {
  reply.request.log.info({ stream: record.stream, seq: record.seq, type: record.type, post: record.postId, replayed }, 'scheduled via API');
  if (replayed) reply.header('idempotent-replayed', 'true');
  return reply.code(202).send({ id: record.postId, status: record.type === 'unschedule' ? 'cancelled' : 'scheduled', publishAt: record.publishAt?.toISOString() ?? null });
}

export async function scheduleApiRoutes(app: FastifyInstance): Promise<void> {
  guardChanges(app, 'bearer');

  // "Starts at …" on the stream's page until its first post; null withdraws it.
  app.put<{ Params: Static<typeof SlugParams>; Body: Static<typeof StartBody>; Headers: Static<typeof IdempotencyHeaders> }>(
    '/streams/:slug/start',
    { schema: { params: SlugParams, body: StartBody, headers: IdempotencyHeaders } },
    async (request, reply) => {
      const projection = await changeableStream(request, request.params.slug);
      const { startsAt } = request.body;
      const key = request.headers['idempotency-key'] ?? randomUUID();
      const { record } = await announceStart(projection, { actor: actorOf(changerOf(request)), key, startsAt: startsAt === null ? null : parsePublishAt(startsAt) });
      return reply.send({ stream: record.stream, seq: record.seq, startsAt: record.startsAt?.toISOString() ?? null });
    },
  );

  app.get<{ Params: Static<typeof SlugParams> }>('/streams/:slug/scheduled', { schema: { params: SlugParams } }, async (request) => {
    const projection = await changeableStream(request, request.params.slug);
    ensureAuthor(projection.state, actorOf(changerOf(request)));
    return {
      stream: projection.slug,
      scheduled: projection.state.scheduled.list().map(({ post, publishAt }) => ({
        id: post.id,
        author: { name: post.author.name },
        headline: post.headline ?? null,
        body: post.body,
        publishAt: publishAt.toISOString(),
      })),
    };
  });

  app.patch<{ Params: Static<typeof ScheduledParams>; Body: Static<typeof EditBody>; Headers: Static<typeof IdempotencyHeaders> }>(
    '/streams/:slug/scheduled/:id',
    { schema: { params: ScheduledParams, body: EditBody, headers: IdempotencyHeaders } },
    async (request, reply) => {
      const projection = await changeableStream(request, request.params.slug);
      const { body, headline, publishAt } = request.body;
      const result = await editScheduled(projection, app.livelog.scheduleHints, {
        actor: actorOf(changerOf(request)),
        key: request.headers['idempotency-key'] ?? randomUUID(),
        postId: request.params.id,
        body,
        headline,
        publishAt: publishAt === undefined ? undefined : parsePublishAt(publishAt),
      });
      return scheduledReply(reply, result);
    },
  );

  app.delete<{ Params: Static<typeof ScheduledParams>; Headers: Static<typeof IdempotencyHeaders> }>(
    '/streams/:slug/scheduled/:id',
    { schema: { params: ScheduledParams, headers: IdempotencyHeaders } },
    async (request, reply) => {
      const projection = await changeableStream(request, request.params.slug);
      const key = request.headers['idempotency-key'] ?? randomUUID();
      return scheduledReply(reply, await cancelScheduled(projection, { actor: actorOf(changerOf(request)), key, postId: request.params.id }));
    },
  );
}
