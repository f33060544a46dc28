import type { UserRecord } from '../../auth/types.ts';
import { MAX_REASON_LENGTH } from '../../log/review-commands.ts';
import type { StreamProjection } from '../../log/projection.ts';
import type { SubmissionQueue } from '../../log/submissions.ts';
import { postBodyHtml, renderView } from '../../render/views.ts';
import { mayAct } from './stream-page.ts';

// What the review parts of a stream page show: the queue to its editors (authors and admins), and
// to each contributor their own submissions. The page renders them, and the live channel pushes
// the same partials whole whenever the queue changes.

/** Who sees which part: an editor the whole queue, a contributor only their own submissions. */
export type ReviewAudience = { kind: 'editor' } | { kind: 'contributor'; userId: string };

export function reviewAudience(projection: StreamProjection, user: UserRecord | null): ReviewAudience | null {
  if (!user || user.disabled) return null;
  if (user.contributor) return projection.authors.has(user._id) ? { kind: 'contributor', userId: user._id } : null;
  return mayAct(projection, user) ? { kind: 'editor' } : null;
}

/** The queue as pushed to editors: the same bytes for every editor, rendered once per change. */
const pushed = new WeakMap<SubmissionQueue, { version: number; html: string }>();

export function reviewHtml(projection: StreamProjection, audience: ReviewAudience, csrfToken = ''): string {
  const queue = projection.state.submissions;
  if (audience.kind === 'contributor') return mySubmissionsHtml(projection, audience.userId);
  const cached = pushed.get(queue);
  if (!csrfToken && cached?.version === queue.version) return cached.html;
  const items = queue.pending().map(({ id, author, submittedAt, post }) => ({
    id,
    author: author.name,
    submittedAt,
    headline: post?.headline,
    bodyHtml: post ? postBodyHtml(post) : '',
    media: post?.media ?? [],
  }));
  const html = renderView('partials/review-queue', { slug: projection.slug, items, csrfToken, maxReason: MAX_REASON_LENGTH });
  if (!csrfToken) pushed.set(queue, { version: queue.version, html });
  return html;
}

function mySubmissionsHtml(projection: StreamProjection, userId: string): string {
  const items = projection.state.submissions.of(userId).map(({ id, status, summary, reason }) => ({
    id,
    status,
    summary,
    reason,
    // Approved, and not deleted since: where readers see it.
    href: status === 'approved' && projection.post(id) ? `/s/${projection.slug}/p/${id}` : undefined,
  }));
  return renderView('partials/my-submissions', { items });
}

/** The review part of the stream page for this user, or null when they have none. */
export function reviewPageModel(projection: StreamProjection, user: UserRecord | null, csrfToken: string) {
  const audience = reviewAudience(projection, user);
  if (!audience) return null;
  return {
    kind: audience.kind,
    html: reviewHtml(projection, audience, csrfToken),
    events: `/s/${projection.slug}/review/events`,
    canSubmit: audience.kind === 'contributor' && projection.status.status === 'live',
    // An editor's queue shows only while something waits (most streams have no contributors); the
    // page script shows it when a submission arrives.
    hidden: audience.kind === 'editor' && projection.state.submissions.pending().length === 0,
  };
}
