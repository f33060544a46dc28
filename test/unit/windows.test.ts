import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { PostOrder, PostSnapshot } from '../../server/log/records.ts';
import { type PostWindow, type WindowQuery, windowContaining, windowOf } from '../../server/log/windows.ts';

// Pages of a stream in either order (server/log/windows.ts), on random sets of posts: paging on from
// the first page shows every post once, in reading order, pinned ones only on top of the first; the
// page a permalink leads to is the one a reader paging from the top reaches.

const author = { id: 'u1', name: 'Ada' };
const postAt = (createdSeq: number, pinned: boolean): { post: PostSnapshot } => ({
  post: { id: `p${createdSeq}`, author, body: `post ${createdSeq}`, createdAt: new Date(createdSeq), createdSeq, pinned },
});

/** Distinct creation seqs (with gaps, as deletions and edits leave), some pinned, in any order. */
const streams = fc
  .uniqueArray(fc.record({ seq: fc.integer({ min: 1, max: 400 }), pinned: fc.integer({ min: 0, max: 6 }).map((n) => n === 0) }), {
    selector: (p) => p.seq,
    maxLength: 120,
  })
  .map((posts) => posts.map((p) => postAt(p.seq, p.pinned)));
const orders = fc.constantFrom<PostOrder>('newest', 'oldest');
const limits = fc.integer({ min: 1, max: 30 });

const seqs = (window: PostWindow) => window.posts.map((v) => v.post.createdSeq);
const inReadingOrder = (order: PostOrder) => (a: number, b: number) => (order === 'newest' ? b - a : a - b);

/** Every page from the first in reading order, following the cursor past each page's end. */
function pageOn(live: { post: PostSnapshot }[], order: PostOrder, limit: number): PostWindow[] {
  const pages = [windowOf(live, { order, limit })];
  for (;;) {
    const last = pages.at(-1) as PostWindow;
    const next: WindowQuery | undefined =
      order === 'newest'
        ? last.older && last.oldestSeq !== undefined ? { order, limit, before: last.oldestSeq } : undefined
        : last.newer && last.newestSeq !== undefined ? { order, limit, after: last.newestSeq } : undefined;
    if (!next) return pages;
    pages.push(windowOf(live, next));
  }
}

test('paging on from the first page shows every unpinned post once, in reading order; pinned ones head the first page only', () => {
  fc.assert(
    fc.property(streams, orders, limits, (live, order, limit) => {
      const pages = pageOn(live, order, limit);
      const unpinned = live.filter((v) => !v.post.pinned).map((v) => v.post.createdSeq);
      assert.deepEqual(pages.flatMap(seqs), [...unpinned].sort(inReadingOrder(order)));
      assert.ok(pages.every((page) => page.posts.length <= limit));
      const pinned = live.filter((v) => v.post.pinned).map((v) => v.post.createdSeq);
      assert.deepEqual(pages[0]?.pinned.map((v) => v.post.createdSeq), [...pinned].sort(inReadingOrder(order)));
      assert.ok(pages.slice(1).every((page) => page.pinned.length === 0));
      // Only the page holding the newest post is the latest (live) one.
      assert.deepEqual(
        pages.map((page) => !page.newer),
        pages.map((_, i) => (order === 'newest' ? i === 0 : i === pages.length - 1)),
      );
    }),
  );
});

test('the page a post falls on is the page a reader paging from the top reaches, at any depth', () => {
  fc.assert(
    fc.property(streams, orders, limits, fc.nat(), (live, order, limit, pick) => {
      fc.pre(live.length > 0);
      const target = live[pick % live.length]!.post;
      const window = windowContaining(live, target.id, order, limit);
      assert.ok(window);
      assert.ok([...window.pinned, ...window.posts].some((v) => v.post.id === target.id));
      const reached = pageOn(live, order, limit).find((page) => [...page.pinned, ...page.posts].some((v) => v.post.id === target.id));
      assert.deepEqual(window, reached);
      assert.equal(windowContaining(live, 'no-such-post', order, limit), undefined);
    }),
  );
});

test('paging back from any page towards the first shows the posts before it, in reading order', () => {
  fc.assert(
    fc.property(streams, orders, limits, fc.integer({ min: 0, max: 401 }), (live, order, limit, cursor) => {
      const back: WindowQuery = order === 'newest' ? { order, limit, after: cursor } : { order, limit, before: cursor };
      const window = windowOf(live, back);
      const expected = live
        .filter((v) => !v.post.pinned && (order === 'newest' ? v.post.createdSeq > cursor : v.post.createdSeq < cursor))
        .map((v) => v.post.createdSeq)
        .sort((a, b) => (order === 'newest' ? a - b : b - a))
        .slice(0, limit)
        .sort(inReadingOrder(order));
      assert.deepEqual(seqs(window), expected);
    }),
  );
});

test('160 posts newest first, 50 a page: post 3 is on the fourth page, post 30 on the third, with pages either side', () => {
  const live = Array.from({ length: 160 }, (_, i) => postAt(i + 1, false));
  const third = windowContaining(live, 'p30', 'newest', 50);
  assert.deepEqual([third?.posts[0]?.post.createdSeq, third?.posts.at(-1)?.post.createdSeq, third?.older, third?.newer], [60, 11, true, true]);
  assert.deepEqual(seqs(windowContaining(live, 'p3', 'newest', 50) as PostWindow), [10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
  const oldest = windowContaining(live, 'p3', 'oldest', 50) as PostWindow;
  assert.deepEqual([oldest.posts[0]?.post.createdSeq, oldest.posts.length, oldest.older, oldest.newer], [1, 50, false, true]);
});
