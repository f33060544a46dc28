import { randomUUID } from 'node:crypto';
import type { UserRecord } from '../../auth/types.ts';
import { MAX_BODY_LENGTH } from '../../log/commands.ts';
import { MAX_REASON_LENGTH } from '../../log/review-commands.ts';
import type { StreamProjection } from '../../log/projection.ts';
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

/** What an editor's part shows changes with the queue and the schedule; a contributor's with the queue. */
export function reviewVersion(projection: StreamProjection, audience: ReviewAudience): string {
  const { submissions, scheduled } = projection.state;
  return audience.kind === 'editor' ? `${submissions.version}.${scheduled.version}` : String(submissions.version);
}

/** An editor's part shows only while something waits (most streams have no contributors and nothing scheduled). */
export function reviewShown(projection: StreamProjection, audience: ReviewAudience): boolean {
  return audience.kind === 'contributor' || projection.state.submissions.pending().length > 0 || projection.state.scheduled.size > 0;
}

/** The part as pushed to editors: the same bytes for every editor, rendered once per change. */
const pushed = new WeakMap<StreamProjection, { version: string; html: string }>();

export function reviewHtml(projection: StreamProjection, audience: ReviewAudience, csrfToken = ''): string {
  if (audience.kind === 'contributor') return mySubmissionsHtml(projection, audience.userId);
  const version = reviewVersion(projection, audience);
  const cached = pushed.get(projection);
  if (!csrfToken && cached?.version === version) return cached.html;
  const { submissions, scheduled } = projection.state;
  const items = submissions.pending().map(({ id, author, submittedAt, post }) => ({
    id,
    author: author.name,
    submittedAt,
    headline: post?.headline,
    bodyHtml: post ? postBodyHtml(post) : '',
    media: post?.media ?? [],
  }));
  const later = scheduled.list().map(({ post, publishAt }) => ({ post, publishAt, bodyHtml: postBodyHtml(post), key: randomUUID() }));
  const html = renderView('partials/review-queue', { slug: projection.slug, items, scheduled: later, csrfToken, maxReason: MAX_REASON_LENGTH, maxBody: MAX_BODY_LENGTH });
  if (!csrfToken) pushed.set(projection, { version, html });
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
    hidden: !reviewShown(projection, audience),
  };
}

/** "Starts at …": shown until the stream's first post. */
export function announcedStart(projection: StreamProjection): Date | undefined {
  return projection.postCount === 0 ? projection.state.startsAt : undefined;
}
