import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { type FeedOrder, FeedModel } from '../../client/feed-model.ts';
import type { ChangeFrame } from '../../shared/protocol.ts';

// data-order="oldest": new posts join the bottom of the list, pinned posts still lead; whatever the
// changes, the model shows the posts that exist in the order the server would render them.

const changes = fc.array(
  fc.record({ kind: fc.constantFrom('post', 'post', 'pin', 'unpin', 'edit', 'delete'), target: fc.nat() }),
  { maxLength: 40 },
);

function framesOf(list: { kind: string; target: number }[]): ChangeFrame[] {
  const live = new Map<string, { createdSeq: number; pinned: boolean }>();
  const frames: ChangeFrame[] = [];
  for (const { kind, target } of list) {
    const seq = frames.length + 1;
    const ids = [...live.keys()];
    const id = ids[target % Math.max(ids.length, 1)];
    if (kind === 'post' || id === undefined) {
      live.set(`p${seq}`, { createdSeq: seq, pinned: false });
      frames.push({ t: 'post', seq, id: `p${seq}`, createdSeq: seq, pinned: false, html: '' });
    } else if (kind === 'delete') {
      live.delete(id);
      frames.push({ t: 'delete', seq, id });
    } else {
      const post = live.get(id)!;
      if (kind !== 'edit') post.pinned = kind === 'pin';
      frames.push({ t: 'edit', seq, id, createdSeq: post.createdSeq, pinned: post.pinned, html: '' });
    }
  }
  return frames;
}

function displayed(frames: ChangeFrame[], order: FeedOrder): string[] {
  const model = new FeedModel([], order);
  for (const frame of frames) model.apply(frame);
  return model.posts.map((p) => p.id);
}

function expected(frames: ChangeFrame[], order: FeedOrder): string[] {
  const posts = new Map<string, { id: string; createdSeq: number; pinned: boolean }>();
  for (const f of frames) {
    if (f.t === 'delete') posts.delete(f.id);
    else if (f.t !== 'stream') posts.set(f.id, { id: f.id, createdSeq: f.createdSeq, pinned: f.pinned });
  }
  const sign = order === 'newest' ? -1 : 1;
  return [...posts.values()].sort((a, b) => Number(b.pinned) - Number(a.pinned) || sign * (a.createdSeq - b.createdSeq)).map((p) => p.id);
}

test('oldest first: pinned posts lead, then the rest by creation, so a new post joins the bottom', () => {
  fc.assert(fc.property(changes, (list) => assert.deepEqual(displayed(framesOf(list), 'oldest'), expected(framesOf(list), 'oldest'))));
});

test('newest first stays the default order', () => {
  fc.assert(fc.property(changes, (list) => assert.deepEqual(displayed(framesOf(list), 'newest'), expected(framesOf(list), 'newest'))));
});

test('in oldest-first order a new post is shown last (before nothing)', () => {
  const model = new FeedModel([{ id: 'a', createdSeq: 1, pinned: false, seq: 1 }], 'oldest');
  const edit = model.apply({ t: 'post', seq: 2, id: 'b', createdSeq: 2, pinned: false, html: '' });
  assert.deepEqual(edit.kind === 'show' && edit.before, null);
  const newest = new FeedModel([{ id: 'a', createdSeq: 1, pinned: false, seq: 1 }]);
  const top = newest.apply({ t: 'post', seq: 2, id: 'b', createdSeq: 2, pinned: false, html: '' });
  assert.deepEqual(top.kind === 'show' && top.before, 'a');
});
