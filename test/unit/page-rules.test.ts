import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { HiddenTabCounter, titleWithCount } from '../../client/tab-title.ts';
import { type KeyedPostFrame, KeyMomentsModel, excerpt } from '../../client/key-moments-model.ts';
import { accessibleName, editorKey, intentOf, toggleFields } from '../../client/post-controls.ts';
import { absoluteUrl } from '../../client/share.ts';

// The page's rules that need no browser: the hidden tab's title, the key-moments list, and what
// the post controls do.

test('the title counts new updates in front, and loses the count at zero', () => {
  assert.equal(titleWithCount('The launch · Livelog', 3), '(3) The launch · Livelog');
  assert.equal(titleWithCount('(3) The launch · Livelog', 4), '(4) The launch · Livelog');
  assert.equal(titleWithCount('(4) The launch · Livelog', 0), 'The launch · Livelog');
  fc.assert(fc.property(fc.string(), fc.nat(), fc.nat(), (title, a, b) => assert.equal(titleWithCount(titleWithCount(title, a), b), titleWithCount(title, b))));
});

test('the counter counts only while hidden and resets when the tab is shown', () => {
  let listener = () => {};
  const doc = { title: 'T · Livelog', visibilityState: 'visible' as DocumentVisibilityState, addEventListener: (_: string, run: () => void) => (listener = run) };
  const counter = new HiddenTabCounter(doc as unknown as Document);
  counter.newPost();
  assert.equal(doc.title, 'T · Livelog');
  doc.visibilityState = 'hidden';
  counter.newPost();
  counter.newPost();
  assert.equal(doc.title, '(2) T · Livelog');
  doc.visibilityState = 'visible';
  listener();
  assert.equal(doc.title, 'T · Livelog');
});

const post = (id: string, createdSeq: number, seq: number, extra: Partial<KeyedPostFrame> = {}): KeyedPostFrame => ({ t: 'edit', seq, id, createdSeq, pinned: false, html: '', ...extra });
const details = (frame: KeyedPostFrame) => ({ text: frame.headline ?? `post ${frame.id}`, datetime: '' });

test('key moments join in creation order, change headline in place, and leave when unmarked or deleted', () => {
  const model = new KeyMomentsModel([{ id: 'old', createdSeq: Number.NaN, text: 'Kick-off', datetime: '' }]);
  assert.equal(model.apply(post('b', 5, 9, { key: true }), details), true);
  assert.equal(model.apply(post('a', 2, 10, { key: true, headline: 'Goal' }), details), true);
  assert.deepEqual(model.moments.map((m) => m.id), ['old', 'a', 'b']);
  assert.equal(model.apply(post('a', 2, 11, { key: true, headline: 'Goal' }), details), false, 'nothing new to show');
  assert.equal(model.apply(post('a', 2, 12, { key: true, headline: 'Goal!' }), details), true);
  assert.equal(model.moments[1]?.text, 'Goal!');
  assert.equal(model.apply(post('c', 6, 13), details), false, 'a post that is not key');
  assert.equal(model.apply(post('b', 5, 14, { key: false }), details), true);
  assert.equal(model.apply({ t: 'delete', seq: 15, id: 'old' }, details), true);
  assert.equal(model.apply({ t: 'stream', seq: 16, status: 'ended' }, details), false);
  assert.deepEqual(model.moments.map((m) => m.id), ['a']);
});

test('a key moment without a headline is listed by the start of its text', () => {
  assert.equal(excerpt('  Home  2 –\n1 Away '), 'Home 2 – 1 Away');
  assert.equal(excerpt('x'.repeat(200)).length, 80);
});

test('post controls: their intent, label, name and fields', () => {
  assert.equal(intentOf({ dataAction: 'unpin' }), 'pin');
  assert.equal(intentOf({ action: '/s/a/posts/6b1c/key' }), 'key');
  assert.equal(intentOf({ href: '/s/a/posts/6b1c/edit?x=1' }), 'edit');
  assert.equal(intentOf({ action: '/s/a/posts/6b1c/delete' }), 'delete');
  assert.equal(intentOf({ action: '/logout' }), null);
  assert.equal(accessibleName('Pin', { author: 'ana', time: '14:05' }), 'Pin: the update by ana at 14:05');
  assert.equal(accessibleName('Edit', { author: 'ana', time: '', headline: 'Goal' }), 'Edit: “Goal”');
  assert.deepEqual(toggleFields([['_csrf', 't'], ['key', 'page-key'], ['pinned', 'true'], ['baseSeq', '4']], false, 'k2'), { key: 'k2', pinned: 'false', baseSeq: '4' });
  // The template's forms carry blank state fields: the post's state decides.
  assert.deepEqual(toggleFields([['_csrf', ''], ['key', ''], ['keyMoment', '']], true, 'k3'), { key: 'k3', keyMoment: 'true' });
  assert.equal(editorKey({ key: 'Enter', ctrlKey: true, metaKey: false }), 'save');
  assert.equal(editorKey({ key: 'Enter', ctrlKey: false, metaKey: true }), 'save');
  assert.equal(editorKey({ key: 'Enter', ctrlKey: false, metaKey: false }), null);
  assert.equal(editorKey({ key: 'Escape', ctrlKey: false, metaKey: false }), 'cancel');
});

test('a share link is absolute', () => {
  assert.equal(absoluteUrl('/s/launch/p/abc', 'http://live.example:3000'), 'http://live.example:3000/s/launch/p/abc');
});
