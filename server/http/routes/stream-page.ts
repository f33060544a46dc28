import { randomUUID } from 'node:crypto';
import type { UserRecord } from '../../auth/types.ts';
import { MAX_BODY_LENGTH, MAX_HEADLINE_LENGTH } from '../../log/commands.ts';
import type { StreamProjection } from '../../log/projection.ts';
import type { PostOrder } from '../../log/records.ts';
import type { PostVersion } from '../../log/fold.ts';
import type { PostWindow } from '../../log/windows.ts';
import { postHtml, postHtmlWithActions, postSummary } from '../../render/post-html.ts';

// What the stream page shows for one window of posts: the view model of views/stream.eta, for the
// live page, older pages and permalinks alike (a permalink is the page its post falls on).

export const PAGE_SIZE = 50;
/** The key-moments list is a summary: past this many it lists the latest (each post keeps its badge). */
export const MAX_KEY_MOMENTS = 100;

export interface PageRequest {
  projection: StreamProjection;
  window: PostWindow<PostVersion>;
  user: UserRecord | null;
  csrfToken: string;
  /** The order the reader chose in the address (`?order=`), carried on every link; else the stream's. */
  chosenOrder?: PostOrder;
  /** The post a permalink leads to: highlighted. */
  highlight?: string;
}

/** Only the stream's authors and admins get the composer, End/Reopen and each post's actions
 *  (its contributors get a composer that submits for review: review-view.ts). */
export function mayAct(projection: StreamProjection, user: UserRecord | null): user is UserRecord {
  return user !== null && !user.disabled && (user.admin || (projection.authors.has(user._id) && !user.contributor));
}

/** The key-moments list at the top of the stream page and the embed: each post's permalink and words. */
export function keyMomentLinks(projection: StreamProjection) {
  return projection.keyMoments().slice(-MAX_KEY_MOMENTS).map(({ post }) => ({
    id: post.id,
    href: `/s/${projection.slug}/p/${post.id}`,
    createdAt: post.createdAt,
    text: postSummary(post),
  }));
}

export function streamPageModel({ projection, window, user, csrfToken, chosenOrder, highlight }: PageRequest) {
  const slug = projection.slug;
  const canAct = mayAct(projection, user);
  // Links within the stream keep the reader's choice of order.
  const link = (cursor: { before?: number; after?: number } = {}) => {
    const query = new URLSearchParams();
    for (const [name, seq] of Object.entries(cursor)) query.set(name, String(seq));
    if (chosenOrder) query.set('order', chosenOrder);
    const text = query.toString();
    return `/s/${slug}${text ? `?${text}` : ''}`;
  };
  const live = !window.newer;
  const older = window.older && window.oldestSeq !== undefined ? link({ before: window.oldestSeq }) : null;
  const newer = window.newer && window.newestSeq !== undefined ? link({ after: window.newestSeq }) : null;
  // The latest page is the live one in either order (oldest first reads down to the newest post).
  const latest = link();
  const shown = [...window.pinned, ...window.posts].map((version) => {
    let html = canAct ? postHtmlWithActions(version, slug, { name: user.name, admin: user.admin, csrfToken }) : postHtml(version, slug);
    if (version.post.id === highlight) html = html.replace('<article class="post', '<article aria-current="true" class="post highlighted');
    return { ...version, html };
  });
  return {
    title: projection.stream.title,
    stream: projection.stream,
    user,
    userName: user?.name ?? '',
    admin: user?.admin ?? false,
    csrfToken,
    canPost: canAct && live,
    canAct,
    status: projection.status.status,
    idempotencyKey: randomUUID(),
    maxBody: MAX_BODY_LENGTH,
    maxHeadline: MAX_HEADLINE_LENGTH,
    head: projection.head,
    lastUpdated: projection.updatedAt,
    order: window.order,
    orderLinks: (['newest', 'oldest'] as const).map((order) => ({
      order,
      label: order === 'newest' ? 'Newest first' : 'Oldest first',
      href: `/s/${slug}?order=${order}`,
      current: order === window.order,
    })),
    keyMoments: keyMomentLinks(projection),
    posts: shown,
    live,
    pager: {
      // Back up in reading order (towards the top of the page) and on past its end.
      back: window.order === 'newest' ? newer && { href: newer, label: 'Newer updates' } : older && { href: older, label: 'Earlier updates' },
      more: window.order === 'newest' ? older && { href: older, label: 'Load older updates' } : newer && { href: newer, label: 'Load later updates' },
      latest: live ? null : latest,
      // Oldest first, a reader may want the story from its start.
      first: window.order === 'oldest' && window.older ? link({ after: 0 }) : null,
    },
    script: 'live.js',
  };
}
