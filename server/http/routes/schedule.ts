import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type, type Static } from '../../typebox.ts';
import { actorOf } from '../../auth/users.ts';
import { ensureMayPublish, KEY_PATTERN, MAX_BODY_LENGTH } from '../../log/commands.ts';
import type { AppendResult } from '../../log/projection.ts';
import { cancelScheduled, editScheduled, schedulePost } from '../../log/schedule-commands.ts';
import { ensureDescribed } from '../../media/descriptions.ts';
import { storePhotos } from '../../media/images.ts';
import { changeableStream } from '../plugins/stream-access.ts';
import { changerOf, guardChanges, wantsJson } from '../plugins/changes.ts';
import type { SubmissionForm } from './review.ts';
import { parsePublishAt, PublishAt } from './schedule-api.ts';
import { Headline, PostParams } from './schemas.ts';

// Scheduling from the stream page: the composer's "Publish at" field, and each scheduled post's
// Cancel and Edit in the author's list (review-view.ts renders it; the review channel keeps it live).

const Form = { _csrf: Type.Optional(Type.String({ maxLength: 200 })), key: Type.String({ pattern: KEY_PATTERN }) };
const CancelForm = Type.Object(Form);
const EditForm = Type.Object({ ...Form, body: Type.String({ maxLength: MAX_BODY_LENGTH + 1000 }), headline: Type.Optional(Headline), publishAt: PublishAt });

function answer(request: FastifyRequest<{ Params: { slug: string } }>, reply: FastifyReply, { record, replayed }: AppendResult) {
  const { slug } = request.params;
  request.log.info({ stream: slug, seq: record.seq, type: record.type, post: record.postId, replayed }, 'schedule from the page');
  const status = record.type === 'unschedule' ? 'cancelled' : 'scheduled';
  if (wantsJson(request)) return reply.code(202).send({ id: record.postId, seq: record.seq, status, publishAt: record.publishAt?.toISOString() ?? null, replayed });
  return reply.redirect(`/s/${slug}?at=${record.seq}#review`, 303);
}

/** The composer with a time filled in: the post is stored for then. */
export async function scheduleFromPage(
  request: FastifyRequest<{ Params: { slug: string }; Body: SubmissionForm & { publishAt?: string } }>,
  reply: FastifyReply,
) {
  const projection = await changeableStream(request, request.params.slug);
  const actor = actorOf(changerOf(request));
  ensureMayPublish(projection, actor);
  const { body = '', headline, key, photo, alt, decorative, publishAt = '' } = request.body;
  const at = parsePublishAt(publishAt);
  ensureDescribed(photo, alt, decorative === 'true');
  const media = await storePhotos(request.server.livelog.images, photo, alt);
  return answer(request, reply, await schedulePost(projection, request.server.livelog.scheduleHints, { actor, body, headline, key, media, publishAt: at }));
}

export async function scheduleRoutes(app: FastifyInstance): Promise<void> {
  guardChanges(app, 'session');
  app.addHook('preHandler', app.csrfProtection);

  app.post<{ Params: Static<typeof PostParams>; Body: Static<typeof CancelForm> }>(
    '/s/:slug/scheduled/:id/cancel',
    { schema: { params: PostParams, body: CancelForm } },
    async (request, reply) => {
      const projection = await changeableStream(request, request.params.slug);
      const change = { actor: actorOf(changerOf(request)), key: request.body.key, postId: request.params.id };
      return answer(request, reply, await cancelScheduled(projection, change));
    },
  );

  app.post<{ Params: Static<typeof PostParams>; Body: Static<typeof EditForm> }>(
    '/s/:slug/scheduled/:id/edit',
    { schema: { params: PostParams, body: EditForm } },
    async (request, reply) => {
      const projection = await changeableStream(request, request.params.slug);
      const { key, body, headline, publishAt } = request.body;
      const change = { actor: actorOf(changerOf(request)), key, postId: request.params.id, body, headline, publishAt: parsePublishAt(publishAt) };
      return answer(request, reply, await editScheduled(projection, app.livelog.scheduleHints, change));
    },
  );
}
