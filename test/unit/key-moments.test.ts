import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { cleanHeadline, deletePost, editPost, markKeyMoment, MAX_HEADLINE_LENGTH, pinPost, publishPost, setOrder } from '../../server/log/commands.ts';
import { StreamProjection } from '../../server/log/projection.ts';
import { changeFrame } from '../../server/live/frames.ts';
import { admin, assertRefused, bea, beasPost, cai, dan, stored, streamWithAuthors } from '../fixtures/command-log.ts';

// Headlines and key moments (server/log/commands.ts, post-text.ts): what a headline may be, and
// marking a post as a key moment, a change of its own in the log that a retry makes once.

test('a headline is trimmed, one line of at most 140 characters without control characters; empty means none', () => {
  assert.equal(cleanHeadline('  Goal! Home 1–0  '), 'Goal! Home 1–0');
  assert.equal(cleanHeadline('   '), undefined);
  assert.equal(cleanHeadline(undefined), undefined);
  assert.equal(cleanHeadline('x'.repeat(MAX_HEADLINE_LENGTH)), 'x'.repeat(MAX_HEADLINE_LENGTH));
  for (const bad of ['x'.repeat(MAX_HEADLINE_LENGTH + 1), 'two\nlines', 'a\rb', 'tab\there', 'nul\0', 'bell\u0007', 'c1\u0085', 'line\u2028separator']) {
    assert.throws(() => cleanHeadline(bad), { code: 'LIVELOG_INVALID_HEADLINE' }, JSON.stringify(bad));
  }
  fc.assert(
    fc.property(fc.string({ maxLength: 300 }), (text) => {
      try {
        const headline = cleanHeadline(text);
        if (headline === undefined) return assert.equal(text.trim(), '');
        assert.equal(headline, headline.trim());
        assert.ok(headline.length <= MAX_HEADLINE_LENGTH && !/[\p{Cc}\u2028\u2029]/u.test(headline));
      } catch (error) {
        assert.equal((error as { code?: string }).code, 'LIVELOG_INVALID_HEADLINE');
      }
    }),
  );
});

test('a post publishes with a headline; an edit changes or removes it, or leaves it when not given', async () => {
  const log = await streamWithAuthors();
  const { record } = await publishPost(log.projection, { actor: bea, body: 'Kick-off', headline: ' We are under way ', key: 'bea-headline-post' });
  const postId = record.postId!;
  assert.equal(log.projection.post(postId)?.post.headline, 'We are under way');
  await editPost(log.projection, { actor: bea, postId, body: 'Kick-off at 19:02', key: 'bea-edit-text-only' });
  assert.deepEqual([log.projection.post(postId)?.post.headline, log.projection.post(postId)?.post.body], ['We are under way', 'Kick-off at 19:02']);
  await editPost(log.projection, { actor: bea, postId, headline: 'Under way at last', key: 'bea-edit-headline-only' });
  assert.deepEqual([log.projection.post(postId)?.post.headline, log.projection.post(postId)?.post.body], ['Under way at last', 'Kick-off at 19:02']);
  await editPost(log.projection, { actor: bea, postId, headline: '', key: 'bea-edit-no-headline' });
  assert.equal('headline' in (log.projection.post(postId)?.post ?? {}), false);
  await assertRefused(log, () => publishPost(log.projection, { actor: bea, body: 'x', headline: 'a\nb', key: 'bea-bad-headline' }), 'LIVELOG_INVALID_HEADLINE');
  await assertRefused(log, () => editPost(log.projection, { actor: bea, postId, headline: 'y'.repeat(141), key: 'bea-long-headline' }), 'LIVELOG_INVALID_HEADLINE');
  await assertRefused(log, () => editPost(log.projection, { actor: bea, postId, key: 'bea-empty-edit' }), 'LIVELOG_EMPTY_POST');
});

test('any author marks a post as a key moment and unmarks it; a retry with the same key changes it once', async () => {
  const log = await streamWithAuthors();
  const { postId } = await beasPost(log);
  const first = await markKeyMoment(log.projection, { actor: cai, postId, keyMoment: true, key: 'cai-key-1' });
  assert.deepEqual([first.record.type, first.replayed, log.projection.post(postId)?.post.key], ['key', false, true]);
  const count = await stored(log);
  const again = await markKeyMoment(log.projection, { actor: cai, postId, keyMoment: true, key: 'cai-key-1' });
  assert.deepEqual([again.replayed, again.record.seq, await stored(log)], [true, first.record.seq, count]);
  await assertRefused(log, () => markKeyMoment(log.projection, { actor: cai, postId, keyMoment: false, key: 'cai-key-1' }), 'LIVELOG_KEY_REUSED');
  await assertRefused(log, () => markKeyMoment(log.projection, { actor: dan, postId, keyMoment: true, key: 'dan-key-1' }), 'LIVELOG_NOT_AN_AUTHOR');
  await markKeyMoment(log.projection, { actor: admin, postId, keyMoment: false, key: 'admin-unkey-1' });
  assert.equal('key' in (log.projection.post(postId)?.post ?? {}), false);
});

test('the key moments are the live posts marked key, oldest first, whatever pins and edits happen', async () => {
  const log = await streamWithAuthors();
  const ids: string[] = [];
  for (const body of ['Kick-off', 'Goal!', 'Red card', 'Goal again!']) ids.push((await beasPost(log, body)).postId);
  const [kickOff, goal, red, second] = ids as [string, string, string, string];
  for (const postId of [second, goal, red]) await markKeyMoment(log.projection, { actor: bea, postId, keyMoment: true, key: `key-${postId}` });
  await pinPost(log.projection, { actor: bea, postId: goal, pinned: true, key: 'pin-goal' });
  await editPost(log.projection, { actor: bea, postId: goal, body: 'GOAL!', key: 'edit-goal' });
  await deletePost(log.projection, { actor: bea, postId: red, key: 'delete-red' });
  assert.deepEqual(log.projection.keyMoments().map((v) => v.post.body), ['GOAL!', 'Goal again!']);
  assert.equal(log.projection.post(goal)?.post.key, true, 'a pin or an edit keeps the mark');
  assert.equal(log.projection.post(kickOff)?.post.key, undefined);
});

test('a post\'s live frame carries its key mark and headline, so pages keep their key-moments list current', async () => {
  const log = await streamWithAuthors();
  const { record } = await publishPost(log.projection, { actor: bea, body: 'Goal', headline: 'Home 1–0', key: 'bea-frame-post' });
  const postId = record.postId!;
  const plain = JSON.parse(changeFrame(log.projection.post(postId)!, 'match'));
  assert.deepEqual([plain.t, plain.key, plain.headline], ['post', false, 'Home 1–0']);
  await markKeyMoment(log.projection, { actor: bea, postId, keyMoment: true, key: 'bea-frame-key' });
  const marked = JSON.parse(changeFrame(log.projection.post(postId)!, 'match'));
  assert.deepEqual([marked.t, marked.key, marked.headline], ['edit', true, 'Home 1–0']);
  assert.match(marked.html, /class="post key"[^>]*data-key="true"/);
  assert.match(marked.html, /<h2 class="post-headline">Home 1–0<\/h2>/);
});

test('an admin sets the default order with a change in the log: a stream loaded afresh (another instance) has it; others may not', async () => {
  const log = await streamWithAuthors();
  assert.equal(log.projection.order, 'newest');
  await assertRefused(log, () => setOrder(log.projection, { actor: bea, order: 'oldest', key: 'bea-order' }), 'LIVELOG_ADMIN_ONLY');
  const { record } = await setOrder(log.projection, { actor: admin, order: 'oldest', key: 'admin-order' });
  assert.equal(record.type, 'order');
  assert.equal(log.projection.order, 'oldest');
  assert.equal(log.projection.status.seq, record.seq, 'viewers get a frame for the seq, so it is no gap');
  const elsewhere = new StreamProjection(log.projection.stream, log.store);
  await elsewhere.load();
  assert.equal(elsewhere.order, 'oldest');
  // A retry with the same key changes nothing more.
  const again = await setOrder(log.projection, { actor: admin, order: 'oldest', key: 'admin-order' });
  assert.equal(again.record.seq, record.seq);
});
