import type { PostOrder, PostSnapshot } from './records.ts';

/** Whatever holds a post's current snapshot (the fold's PostVersion). */
interface Shown {
  post: PostSnapshot;
}

// The window of posts a page shows, in either order. Pages are cut from the stream's live, unpinned
// posts by a cursor on creation seq (`before`: the ones created just before it; `after`: just after),
// so a post published while someone pages never shifts a page by one. Pinned posts head the first
// page in reading order (the newest page when newest first, the oldest when oldest first).

export interface WindowQuery {
  order: PostOrder;
  limit: number;
  /** The posts created just before this seq (older ones). */
  before?: number;
  /** The posts created just after this seq (newer ones). */
  after?: number;
}

export interface PostWindow<V extends Shown = Shown> {
  order: PostOrder;
  /** Pinned posts, on the first page in reading order only. */
  pinned: V[];
  /** The page's unpinned posts, in reading order. */
  posts: V[];
  /** Posts older than this window exist: the cursor for them is `before` the oldest shown. */
  older: boolean;
  /** Posts newer than this window exist: a page without them is not the latest (not live). */
  newer: boolean;
  /** Creation seqs of the oldest and newest post shown: the cursors of the neighbouring pages. */
  oldestSeq?: number;
  newestSeq?: number;
}

const byCreation = (a: Shown, b: Shown) => a.post.createdSeq - b.post.createdSeq;

/** The index of the first post (in creation order) created after `seq`. */
function firstAfter(ascending: Shown[], seq: number): number {
  let [low, high] = [0, ascending.length];
  while (low < high) {
    const middle = (low + high) >> 1;
    if ((ascending[middle]?.post.createdSeq ?? Number.POSITIVE_INFINITY) > seq) high = middle;
    else low = middle + 1;
  }
  return low;
}

/** The page of `live` posts (in any order) that a query asks for. */
export function windowOf<V extends Shown>(live: V[], query: WindowQuery): PostWindow<V> {
  const ascending = live.filter((v) => !v.post.pinned).sort(byCreation);
  const { limit } = query;
  const count = ascending.length;
  let start: number;
  let end: number;
  if (query.after !== undefined) {
    start = firstAfter(ascending, query.after);
    end = Math.min(count, start + limit);
  } else if (query.before !== undefined) {
    end = firstAfter(ascending, query.before - 1);
    start = Math.max(0, end - limit);
  } else if (query.order === 'newest') {
    [start, end] = [Math.max(0, count - limit), count];
  } else {
    [start, end] = [0, Math.min(count, limit)];
  }
  return windowBetween(live, ascending, start, end, query.order);
}

/**
 * The page a post falls on, counting pages of `limit` from the start of reading order (so a link to
 * it shows the same page a reader paging from the top reaches), or undefined for no such live post.
 */
export function windowContaining<V extends Shown>(live: V[], postId: string, order: PostOrder, limit: number): PostWindow<V> | undefined {
  const target = live.find((v) => v.post.id === postId);
  if (!target) return undefined;
  const ascending = live.filter((v) => !v.post.pinned).sort(byCreation);
  if (target.post.pinned) return windowOf(live, { order, limit });
  const index = ascending.indexOf(target);
  if (order === 'oldest') {
    const start = index - (index % limit);
    return windowBetween(live, ascending, start, Math.min(ascending.length, start + limit), order);
  }
  const fromNewest = ascending.length - 1 - index;
  const end = ascending.length - (fromNewest - (fromNewest % limit));
  return windowBetween(live, ascending, Math.max(0, end - limit), end, order);
}

function windowBetween<V extends Shown>(live: V[], ascending: V[], start: number, end: number, order: PostOrder): PostWindow<V> {
  const shown = ascending.slice(start, end);
  const older = start > 0;
  const newer = end < ascending.length;
  const firstInReadingOrder = order === 'newest' ? !newer : !older;
  const pinned = firstInReadingOrder ? live.filter((v) => v.post.pinned).sort(byCreation) : [];
  if (order === 'newest') {
    shown.reverse();
    pinned.reverse();
  }
  return {
    order,
    pinned,
    posts: shown,
    older,
    newer,
    oldestSeq: shown.length ? ascending[start]?.post.createdSeq : undefined,
    newestSeq: shown.length ? ascending[end - 1]?.post.createdSeq : undefined,
  };
}
