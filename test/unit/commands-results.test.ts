import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deletePost, editPost, pinPost, publishPost, setAuthor, setStatus } from '../../server/log/commands.ts';
import { admin, assertRefused, bea, beasPost, cai, dan, stored, streamWithAuthors } from '../fixtures/command-log.ts';

// What each command makes when it is allowed (one change on the log, and the state viewers then
// see), and idempotency: a key sent twice makes one change. The refusals: commands.test.ts.

const photo = { id: 'sha256-photo', alt: 'The kick-off', width: 800, height: 600 };

test('publishing appends one post by its author: text trimmed with plain line ends, unpinned, unedited', async () => {
  const log = await streamWithAuthors();
  const { record, replayed } = await publishPost(log.projection, { actor: bea, body: '  Kick-off!\r\nGo team\r ', key: 'bea-post-key' });
  assert.equal(replayed, false);
  assert.deepEqual([record.seq, record.type, record.by], [3, 'post', { id: bea.id, name: bea.name }]);
  const post = log.projection.post(record.postId!)!;
  assert.equal(post.seq, 3);
  assert.deepEqual(post.post, { ...record.post, id: record.postId, author: { id: bea.id, name: bea.name } });
  assert.equal(post.post.body, 'Kick-off!\nGo team');
  assert.deepEqual([post.post.createdSeq, post.post.pinned, post.post.editedAt, post.post.media], [3, false, undefined, undefined]);
  assert.deepEqual(log.projection.page(10), [post]);
});

test('a post with a photo needs no text', async () => {
  const log = await streamWithAuthors();
  const { record } = await publishPost(log.projection, { actor: bea, body: '  ', media: [photo], key: 'bea-photo-key' });
  assert.deepEqual([record.post?.body, record.post?.media], ['', [photo]]);
});

test('a photo post can be edited: its text emptied or left empty, its headline alone changed; a text post still needs text', async () => {
  const log = await streamWithAuthors();
  const { record } = await publishPost(log.projection, { actor: bea, body: 'Before the match', media: [photo], key: 'bea-photo-key' });
  const postId = record.postId!;
  await editPost(log.projection, { actor: bea, postId, body: ' \r\n ', key: 'bea-empty-edit' });
  assert.deepEqual([log.projection.post(postId)?.post.body, log.projection.post(postId)?.post.media], ['', [photo]]);
  // The edit page sends the text back with the headline: an empty text stays empty, not refused.
  await editPost(log.projection, { actor: bea, postId, body: '', headline: 'Line-ups', key: 'bea-headline-edit' });
  assert.deepEqual([log.projection.post(postId)?.post.body, log.projection.post(postId)?.post.headline], ['', 'Line-ups']);
  // The API sends the headline alone: the text is not touched.
  const { postId: textId } = await beasPost(log, 'Kick-off **now**');
  await editPost(log.projection, { actor: bea, postId: textId, headline: 'Under way', key: 'bea-api-headline' });
  assert.deepEqual([log.projection.post(textId)?.post.body, log.projection.post(textId)?.post.headline], ['Kick-off **now**', 'Under way']);
  await assertRefused(log, () => editPost(log.projection, { actor: bea, postId: textId, body: '', headline: 'x', key: 'bea-blank-text' }), 'LIVELOG_EMPTY_POST');
});

test('editing replaces the text and marks the post edited; who wrote it, when, and its place stay', async () => {
  const log = await streamWithAuthors();
  const { postId, seq } = await beasPost(log);
  const before = log.projection.post(postId)!.post;
  const { record } = await editPost(log.projection, { actor: bea, postId, baseSeq: seq, body: 'Kick-off at 19:00', key: 'bea-edit-key' });
  assert.equal(record.type, 'edit');
  const after = log.projection.post(postId)!;
  assert.equal(after.seq, record.seq);
  assert.ok(after.post.editedAt instanceof Date);
  assert.deepEqual(after.post, { ...before, body: 'Kick-off at 19:00', editedAt: after.post.editedAt });
  assert.equal(log.projection.postCount, 1);
});

test('any author may pin another author\'s post above newer ones, and unpin it', async () => {
  const log = await streamWithAuthors();
  const { postId } = await beasPost(log, 'Line-ups');
  await publishPost(log.projection, { actor: cai, body: 'Newer', key: 'cai-post-key' });
  assert.deepEqual(log.projection.page(10).map((v) => v.post.body), ['Newer', 'Line-ups']);
  const { record } = await pinPost(log.projection, { actor: cai, postId, pinned: true, key: 'cai-pin-key' });
  assert.equal(record.type, 'pin');
  assert.deepEqual(record.by, { id: cai.id, name: cai.name });
  assert.deepEqual(log.projection.page(10).map((v) => [v.post.body, v.post.pinned]), [['Line-ups', true], ['Newer', false]]);
  assert.equal(log.projection.post(postId)?.post.author.id, bea.id);
  await pinPost(log.projection, { actor: bea, postId, pinned: false, key: 'bea-unpin-key' });
  assert.deepEqual(log.projection.page(10).map((v) => [v.post.body, v.post.pinned]), [['Newer', false], ['Line-ups', false]]);
});

test('deleting a post removes it from every page; what viewers catch up on is its deletion, not its text', async () => {
  const log = await streamWithAuthors();
  const { postId, seq } = await beasPost(log);
  const { record } = await deletePost(log.projection, { actor: bea, postId, baseSeq: seq, key: 'bea-delete-key' });
  assert.deepEqual([record.type, record.post], ['delete', undefined]);
  assert.equal(log.projection.post(postId), undefined);
  assert.deepEqual([log.projection.postCount, log.projection.page(10)], [0, []]);
  assert.deepEqual(log.projection.changesSince(seq - 1), [{ kind: 'deleted', postId, seq: record.seq }]);
});

test('any author can end the stream and reopen it; viewers see each status', async () => {
  const log = await streamWithAuthors();
  assert.equal(log.projection.status.status, 'live');
  const ended = await setStatus(log.projection, { actor: cai, status: 'ended', key: 'cai-end-key' });
  assert.deepEqual([ended.record.type, ended.record.status], ['status', 'ended']);
  assert.deepEqual(log.projection.status, { kind: 'status', status: 'ended', seq: ended.record.seq });
  const reopened = await setStatus(log.projection, { actor: bea, status: 'live', key: 'bea-live-key' });
  assert.deepEqual(log.projection.status, { kind: 'status', status: 'live', seq: reopened.record.seq });
});

test('an admin adds an author (recorded by id and name only), who can then publish, and removes them again', async () => {
  const log = await streamWithAuthors();
  const { record } = await setAuthor(log.projection, { actor: admin, member: dan, active: true, key: 'add-dan-key' });
  assert.deepEqual([record.type, record.member, record.active], ['member', { id: dan.id, name: dan.name }, true]);
  assert.deepEqual(log.projection.authors.get(dan.id), { id: dan.id, name: dan.name });
  assert.equal(log.projection.status.seq, record.seq, 'a membership change moves the stream\'s seq');
  await publishPost(log.projection, { actor: dan, body: 'Hello from Dan', key: 'dan-post-key' });
  await setAuthor(log.projection, { actor: admin, member: dan, active: false, key: 'drop-dan-key' });
  assert.equal(log.projection.authors.has(dan.id), false);
  await assertRefused(log, () => publishPost(log.projection, { actor: dan, body: 'Still here?', key: 'dan-post-2' }), 'LIVELOG_NOT_AN_AUTHOR');
});

test('the same request sent twice with one key makes one change; the retry gets the first answer', async () => {
  const log = await streamWithAuthors();
  const request = { actor: bea, body: 'Goal!', key: 'bea-goal-key' };
  const first = await publishPost(log.projection, request);
  const again = await publishPost(log.projection, request);
  assert.deepEqual([first.replayed, again.replayed], [false, true]);
  assert.deepEqual(again.record, first.record);
  assert.deepEqual([log.projection.head, await stored(log), log.projection.postCount], [3, 3, 1]);
});

test('a retried edit, pin, deletion, status or membership change is answered again, not refused as unchanged', async () => {
  const log = await streamWithAuthors();
  const { postId } = await beasPost(log);
  const requests: (() => Promise<{ replayed: boolean }>)[] = [
    () => editPost(log.projection, { actor: bea, postId, body: 'Goal!!', key: 'bea-edit-key' }),
    () => pinPost(log.projection, { actor: bea, postId, pinned: true, key: 'bea-pin-key' }),
    () => deletePost(log.projection, { actor: bea, postId, key: 'bea-delete-key' }),
    () => setStatus(log.projection, { actor: bea, status: 'ended', key: 'bea-end-key' }),
    () => setAuthor(log.projection, { actor: admin, member: dan, active: true, key: 'add-dan-key' }),
  ];
  for (const send of requests) {
    assert.equal((await send()).replayed, false);
    const head = log.projection.head;
    assert.equal((await send()).replayed, true);
    assert.equal(log.projection.head, head);
  }
  assert.equal(await stored(log), 8);
});

test('a key used again for a different request is refused as reused, and changes nothing', async () => {
  const log = await streamWithAuthors();
  const { postId } = await beasPost(log);
  await publishPost(log.projection, { actor: bea, body: 'Goal!', key: 'bea-goal-key' });
  await assertRefused(log, () => publishPost(log.projection, { actor: bea, body: 'Own goal!', key: 'bea-goal-key' }), 'LIVELOG_KEY_REUSED');
  await assertRefused(log, () => editPost(log.projection, { actor: bea, postId, body: 'Goal!', key: 'bea-goal-key' }), 'LIVELOG_KEY_REUSED');
  await setStatus(log.projection, { actor: bea, status: 'ended', key: 'bea-status-key' });
  await setStatus(log.projection, { actor: bea, status: 'live', key: 'bea-reopen-key' });
  await assertRefused(log, () => setStatus(log.projection, { actor: bea, status: 'live', key: 'bea-status-key' }), 'LIVELOG_KEY_REUSED');
});

test('a key belongs to whoever sent it: another author using the same key makes their own change', async () => {
  const log = await streamWithAuthors();
  const a = await publishPost(log.projection, { actor: bea, body: 'Goal!', key: 'shared-key-1' });
  const b = await publishPost(log.projection, { actor: cai, body: 'Goal!', key: 'shared-key-1' });
  assert.deepEqual([a.replayed, b.replayed], [false, false]);
  assert.notEqual(a.record.postId, b.record.postId);
  assert.deepEqual(log.projection.page(10).map((v) => v.post.author.id), [cai.id, bea.id]);
});
