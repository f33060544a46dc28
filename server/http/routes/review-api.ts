import type { FastifyInstance, FastifyReply } from 'fastify';
import { Type, type Static } from '../../typebox.ts';
import { actorOf } from '../../auth/users.ts';
import type { AppendResult } from '../../log/projection.ts';
import { approveSubmission, ensureMayReview, MAX_REASON_LENGTH, rejectSubmission } from '../../log/review-commands.ts';
import { changeableStream } from '../plugins/stream-access.ts';
import { changerOf, guardChanges } from '../plugins/changes.ts';
import { reviewAudience } from './review-view.ts';
import { PostParams, SlugParams } from './schemas.ts';

// Reviewing over the API (Bearer tokens, like every change there): approve or reject a
// contributor's submission, and list submissions: the queue for editors, one's own for a contributor.

const RejectBody = Type.Object({ reason: Type.String({ minLength: 1, maxLength: MAX_REASON_LENGTH + 100 }) }, { additionalProperties: false });

/** A contributor's post, stored and waiting: 202, its id and status. */
export function pendingReply(reply: FastifyReply, { record, replayed }: AppendResult) {
  reply.request.log.info({ stream: record.stream, seq: record.seq, type: record.type, submission: record.postId, replayed }, 'submission via API');
  if (replayed) reply.header('idempotent-replayed', 'true');
  return reply.code(202).send({ id: record.postId, status: 'pending' });
}

function reviewReply(reply: FastifyReply, { record, replayed }: AppendResult) {
  reply.request.log.info({ stream: record.stream, seq: record.seq, type: record.type, submission: record.postId, replayed }, 'review via API');
  if (replayed) reply.header('idempotent-replayed', 'true');
  const approved = record.type === 'approve';
  return reply.send({
    id: record.postId,
    seq: record.seq,
    stream: record.stream,
    type: record.type,
    status: approved ? 'approved' : 'rejected',
    at: record.at.toISOString(),
    url: approved ? `/s/${record.stream}/p/${record.postId}` : null,
  });
}

export async function reviewApiRoutes(app: FastifyInstance): Promise<void> {
  guardChanges(app, 'bearer');

  app.post<{ Params: Static<typeof PostParams> }>('/streams/:slug/posts/:id/approve', { schema: { params: PostParams } }, async (request, reply) => {
    const projection = await changeableStream(request, request.params.slug);
    const actor = actorOf(changerOf(request));
    ensureMayReview(projection, actor);
    return reviewReply(reply, await approveSubmission(projection, { actor, submissionId: request.params.id }));
  });

  app.post<{ Params: Static<typeof PostParams>; Body: Static<typeof RejectBody> }>(
    '/streams/:slug/posts/:id/reject',
    { schema: { params: PostParams, body: RejectBody } },
    async (request, reply) => {
      const projection = await changeableStream(request, request.params.slug);
      const actor = actorOf(changerOf(request));
      ensureMayReview(projection, actor);
      return reviewReply(reply, await rejectSubmission(projection, { actor, submissionId: request.params.id, reason: request.body.reason }));
    },
  );

  // Not public: the queue is for editors, and a contributor sees only their own.
  app.get<{ Params: Static<typeof SlugParams> }>('/streams/:slug/submissions', { schema: { params: SlugParams } }, async (request) => {
    const projection = await changeableStream(request, request.params.slug);
    const user = changerOf(request);
    const audience = reviewAudience(projection, user);
    if (!audience) ensureMayReview(projection, actorOf(user)); // throws the editors' refusal
    const queue = projection.state.submissions;
    const list = audience?.kind === 'contributor' ? queue.of(audience.userId) : queue.pending();
    return {
      stream: projection.slug,
      submissions: list.map((s) => ({
        id: s.id,
        author: { name: s.author.name },
        status: s.status,
        submittedAt: s.submittedAt.toISOString(),
        ...(s.post ? { headline: s.post.headline ?? null, body: s.post.body } : { summary: s.summary }),
        ...(s.reason ? { reason: s.reason } : {}),
      })),
    };
  });
}
