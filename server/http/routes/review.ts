import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type, type Static } from '../../typebox.ts';
import { actorOf } from '../../auth/users.ts';
import { NotAnEditor } from '../../errors.ts';
import { KEY_PATTERN } from '../../log/commands.ts';
import type { AppendResult, StreamProjection } from '../../log/projection.ts';
import type { Actor } from '../../log/records.ts';
import { approveSubmission, ensureMayReview, ensureMaySubmit, MAX_REASON_LENGTH, rejectSubmission, submitPost } from '../../log/review-commands.ts';
import { ReviewChannels } from '../../live/review-channel.ts';
import { ensureDescribed } from '../../media/descriptions.ts';
import { storePhotos } from '../../media/images.ts';
import { changeableStream, readStream } from '../plugins/stream-access.ts';
import { changerOf, guardChanges, wantsJson } from '../plugins/changes.ts';
import { sessionUser } from '../plugins/sessions.ts';
import { reviewAudience, reviewHtml, reviewShown, reviewVersion } from './review-view.ts';
import { PostParams, SlugParams } from './schemas.ts';

// Contributors submit from the stream page; its editors approve or reject there, and both follow
// the queue live on a channel of their own (live/review-channel.ts), never the viewers' one.

/** Review channels one process keeps open (editors' and contributors' pages together). */
const MAX_REVIEW_CHANNELS = 500;
const MAX_REVIEW_CHANNELS_PER_USER = 10;
const REVIEW_HEARTBEAT_MS = 20_000;
const REVIEW_MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

const Csrf = { _csrf: Type.Optional(Type.String({ maxLength: 200 })) };
/** Approvals and rejections take their idempotency key from the submission; a form's own is ignored. */
const ApproveForm = Type.Object({ ...Csrf, key: Type.Optional(Type.String({ pattern: KEY_PATTERN })) });
const RejectForm = Type.Object({ ...Csrf, key: Type.Optional(Type.String({ pattern: KEY_PATTERN })), reason: Type.String({ maxLength: MAX_REASON_LENGTH + 100 }) });

/** The fields of the page's new-post form that a submission uses. */
export interface SubmissionForm {
  body?: string;
  headline?: string;
  key: string;
  photo?: unknown;
  alt?: unknown;
  decorative?: 'true';
}

/** A contributor's post from the page's form: stored for review, answered 202 (or 303 back to the page). */
export async function submitFromPage(request: FastifyRequest<{ Params: { slug: string }; Body: SubmissionForm }>, reply: FastifyReply) {
  const { slug } = request.params;
  const projection = await changeableStream(request, slug);
  const actor = actorOf(changerOf(request));
  ensureMaySubmit(projection, actor);
  const { body = '', headline, key, photo, alt, decorative } = request.body;
  ensureDescribed(photo, alt, decorative === 'true');
  const media = await storePhotos(request.server.livelog.images, photo, alt);
  const { record, replayed } = await submitPost(projection, { actor, body, headline, key, media });
  request.log.info({ stream: slug, seq: record.seq, type: record.type, submission: record.postId, replayed }, 'submission from the page');
  if (wantsJson(request)) return reply.code(202).send({ id: record.postId, seq: record.seq, status: 'pending', replayed });
  return reply.redirect(`/s/${slug}?at=${record.seq}#review`, 303);
}

async function reviewFromPage(
  request: FastifyRequest<{ Params: Static<typeof PostParams> }>,
  reply: FastifyReply,
  review: (projection: StreamProjection, actor: Actor) => Promise<AppendResult>,
) {
  const { slug, id } = request.params;
  const projection = await changeableStream(request, slug);
  const actor = actorOf(changerOf(request));
  ensureMayReview(projection, actor);
  const { record, replayed } = await review(projection, actor);
  request.log.info({ stream: slug, seq: record.seq, type: record.type, submission: id, replayed }, 'review from the page');
  if (wantsJson(request)) return reply.send({ id, seq: record.seq, type: record.type, status: record.type === 'approve' ? 'approved' : 'rejected', replayed });
  return reply.redirect(`/s/${slug}?at=${record.seq}#review`, 303);
}

export async function reviewRoutes(app: FastifyInstance): Promise<void> {
  await app.register(reviewChangeRoutes);

  const channels = new ReviewChannels({ maxOpen: MAX_REVIEW_CHANNELS, maxPerUser: MAX_REVIEW_CHANNELS_PER_USER, heartbeatMs: REVIEW_HEARTBEAT_MS, maxBufferedBytes: REVIEW_MAX_BUFFERED_BYTES });
  app.addHook('preClose', async () => channels.closeAll());

  // The queue (to editors) or one's own submissions (to a contributor), live. Anyone else gets the
  // same refusal whether or not anything waits.
  app.get<{ Params: Static<typeof SlugParams> }>('/s/:slug/review/events', { schema: { params: SlugParams } }, async (request, reply) => {
    const user = await sessionUser(request);
    if (!user) return reply.unauthorized('Log in to follow submissions');
    const { projection } = await readStream(request, undefined, request.params.slug);
    const audience = reviewAudience(projection, user);
    if (!audience) throw new NotAnEditor();
    if (channels.full(user._id)) {
      reply.header('retry-after', '30');
      return reply.serviceUnavailable('Too many review pages are open on this server; reload later');
    }
    reply.hijack();
    if (reply.raw.destroyed || request.raw.socket.destroyed) return;
    channels.attach(projection, reply.raw, user._id, {
      allowed: () => reviewAudience(projection, user)?.kind === audience.kind,
      signedIn: async () => {
        const now = await request.server.livelog.users.byId(user._id);
        return !!now && (now.sessionEpoch ?? 0) === (user.sessionEpoch ?? 0) && reviewAudience(projection, now)?.kind === audience.kind;
      },
      version: () => reviewVersion(projection, audience),
      render: () => ({ html: reviewHtml(projection, audience), shown: reviewShown(projection, audience) }),
    });
  });
}

async function reviewChangeRoutes(app: FastifyInstance): Promise<void> {
  guardChanges(app, 'session');
  app.addHook('preHandler', app.csrfProtection);

  app.post<{ Params: Static<typeof PostParams>; Body: Static<typeof ApproveForm> }>(
    '/s/:slug/posts/:id/approve',
    { schema: { params: PostParams, body: ApproveForm } },
    (request, reply) => reviewFromPage(request, reply, (projection, actor) => approveSubmission(projection, { actor, submissionId: request.params.id })),
  );

  app.post<{ Params: Static<typeof PostParams>; Body: Static<typeof RejectForm> }>(
    '/s/:slug/posts/:id/reject',
    { schema: { params: PostParams, body: RejectForm } },
    (request, reply) =>
      reviewFromPage(request, reply, (projection, actor) =>
        rejectSubmission(projection, { actor, submissionId: request.params.id, reason: request.body.reason }),
      ),
  );
}
