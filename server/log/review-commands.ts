import { AlreadyReviewed, InvalidReason, NotAContributor, NotAnEditor, SubmissionNotFound, TooManyPending } from '../errors.ts';
import { authorRefOf, ensureLive, fingerprintOf, firstSnapshot, type NewPost, newPostFingerprint, newPostText, scopedKey } from './commands.ts';
import type { StreamFold } from './fold.ts';
import type { AppendResult, StreamProjection } from './projection.ts';
import type { Actor } from './records.ts';
import type { Submission } from './submissions.ts';

// Contributors submit; an author of the stream or an admin approves or rejects. Each is one change
// in the log, decided on the state it follows like every other. An approval's idempotency key is
// the submission's own (`approve:ID`), not the editor's: two editors approving at once, on two
// instances, race for one unique {stream, key}, so the second finds the first's change and is
// answered with it. A submission publishes once, whoever presses, however often.

/** Submissions waiting in one stream, and from one contributor: the queue an editor faces stays readable. */
export const MAX_PENDING_PER_STREAM = 100;
export const MAX_PENDING_PER_CONTRIBUTOR = 20;
export const MAX_REASON_LENGTH = 500;

export interface Review {
  actor: Actor;
  submissionId: string;
}

/** Contributors submit to the streams they belong to; authors and admins publish instead. */
function ensureContributor(state: StreamFold, actor: Actor): void {
  if (!actor.contributor || !state.authors.has(actor.id)) throw new NotAContributor();
}

/** Who reviews: the stream's authors (not its contributors) and admins. */
function ensureEditor(state: StreamFold, actor: Actor): void {
  if (actor.contributor || (!actor.admin && !state.authors.has(actor.id))) throw new NotAnEditor();
}

/** The submission a review is about, still waiting. */
function pendingSubmission(state: StreamFold, id: string): Submission {
  const submission = state.submissions.get(id);
  if (!submission) throw new SubmissionNotFound();
  if (submission.status !== 'pending') throw new AlreadyReviewed(submission.status);
  return submission;
}

/** A reason as stored: trimmed, bounded, no control characters but line breaks. */
export function cleanReason(text: string): string {
  const reason = text.replace(/\r\n?/g, '\n').trim();
  if (!reason || reason.length > MAX_REASON_LENGTH || /[^\P{Cc}\n]/u.test(reason)) throw new InvalidReason(MAX_REASON_LENGTH);
  return reason;
}

/** Throws what submitting would refuse, before the caller spends work on photos. */
export function ensureMaySubmit(projection: StreamProjection, actor: Actor): void {
  ensureContributor(projection.state, actor);
  ensureLive(projection.state);
}

/** Throws unless the actor may review this stream's submissions: checked before the append too,
 *  since a repeated approval is answered from its key before any rule runs. */
export function ensureMayReview(projection: StreamProjection, actor: Actor): void {
  ensureEditor(projection.state, actor);
}

/** A contributor's post, stored for review: no viewer sees it until an editor approves it. */
export async function submitPost(projection: StreamProjection, request: NewPost): Promise<AppendResult> {
  const text = newPostText(request);
  return projection.append({
    key: scopedKey(request),
    fingerprint: newPostFingerprint('submit', request, text),
    decide: (state, seq) => {
      ensureContributor(state, request.actor);
      ensureLive(state);
      const { submissions } = state;
      if (submissions.pending().length >= MAX_PENDING_PER_STREAM) throw new TooManyPending(MAX_PENDING_PER_STREAM, 'in this stream');
      if (submissions.pendingBy(request.actor.id) >= MAX_PENDING_PER_CONTRIBUTOR) throw new TooManyPending(MAX_PENDING_PER_CONTRIBUTOR, 'of yours');
      const post = firstSnapshot(request.actor, seq, text);
      return { type: 'submit', by: authorRefOf(request.actor), postId: post.id, post };
    },
  });
}

/**
 * A submission this process has not heard of may have been stored by another instance a moment
 * ago (its doorbell still on the way): look once in the log before refusing it as unknown.
 */
async function heardOf(projection: StreamProjection, submissionId: string): Promise<void> {
  if (!projection.state.submissions.get(submissionId)) await projection.refresh();
}

/** Publishes a submission as its contributor's post, dated now, once. */
export async function approveSubmission(projection: StreamProjection, { actor, submissionId }: Review): Promise<AppendResult> {
  await heardOf(projection, submissionId);
  return projection.append({
    key: `approve:${submissionId}`,
    // The same for every editor: a concurrent approval is a replay of the first, not a conflict.
    fingerprint: fingerprintOf({ type: 'approve', submissionId }),
    decide: (state, seq) => {
      ensureEditor(state, actor);
      ensureLive(state);
      const { post } = pendingSubmission(state, submissionId);
      if (!post) throw new SubmissionNotFound(); // purged while it waited
      return { type: 'approve', by: authorRefOf(actor), postId: submissionId, post: { ...post, createdAt: new Date(), createdSeq: seq } };
    },
  });
}

/** Turns a submission down; its contributor sees the reason. A second rejection gets the first's answer. */
export async function rejectSubmission(projection: StreamProjection, request: Review & { reason: string }): Promise<AppendResult> {
  const reason = cleanReason(request.reason);
  await heardOf(projection, request.submissionId);
  return projection.append({
    key: `reject:${request.submissionId}`,
    fingerprint: fingerprintOf({ type: 'reject', submissionId: request.submissionId }),
    decide: (state) => {
      ensureEditor(state, request.actor);
      pendingSubmission(state, request.submissionId);
      return { type: 'reject', by: authorRefOf(request.actor), postId: request.submissionId, reason };
    },
  });
}
