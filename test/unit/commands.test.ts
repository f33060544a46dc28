import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  deletePost,
  editPost,
  ensureMayPublish,
  MAX_BODY_LENGTH,
  pinPost,
  publishPost,
  setAuthor,
  setStatus,
} from '../../server/log/commands.ts';
import { admin, assertRefused, bea, beasPost, cai, dan, streamWithAuthors } from '../fixtures/command-log.ts';

// The rules of server/log/commands.ts, one test each, on the in-memory store: every refusal names
// its error code and appends nothing. What each command makes when allowed: commands-results.test.ts.

test('a user who is not one of the stream\'s authors cannot publish; an admin can without being one', async () => {
  const log = await streamWithAuthors();
  await assertRefused(log, () => publishPost(log.projection, { actor: dan, body: 'Let me in', key: 'dan-post-key' }), 'LIVELOG_NOT_AN_AUTHOR');
  assert.throws(() => ensureMayPublish(log.projection, dan), { code: 'LIVELOG_NOT_AN_AUTHOR' });
  assert.equal(log.projection.authors.has(admin.id), false);
  ensureMayPublish(log.projection, admin);
  const { record } = await publishPost(log.projection, { actor: admin, body: 'Admin here', key: 'admin-post-key' });
  assert.equal(log.projection.post(record.postId!)?.post.author.id, admin.id);
});

test('a user who is not an author cannot edit, pin or delete a post, nor end the stream', async () => {
  const log = await streamWithAuthors();
  const { postId } = await beasPost(log);
  const code = 'LIVELOG_NOT_AN_AUTHOR';
  await assertRefused(log, () => editPost(log.projection, { actor: dan, postId, body: 'Mine now', key: 'dan-edit-key' }), code);
  await assertRefused(log, () => pinPost(log.projection, { actor: dan, postId, pinned: true, key: 'dan-pin-key' }), code);
  await assertRefused(log, () => deletePost(log.projection, { actor: dan, postId, key: 'dan-delete-key' }), code);
  await assertRefused(log, () => setStatus(log.projection, { actor: dan, status: 'ended', key: 'dan-end-key' }), code);
});

test('an author cannot edit or delete another author\'s post; an admin can, and the post stays its author\'s', async () => {
  const log = await streamWithAuthors();
  const { postId } = await beasPost(log);
  await assertRefused(log, () => editPost(log.projection, { actor: cai, postId, body: 'Cai was here', key: 'cai-edit-key' }), 'LIVELOG_NOT_YOUR_POST');
  await assertRefused(log, () => deletePost(log.projection, { actor: cai, postId, key: 'cai-delete-key' }), 'LIVELOG_NOT_YOUR_POST');
  await editPost(log.projection, { actor: admin, postId, body: 'Moderated', key: 'admin-edit-key' });
  assert.deepEqual(log.projection.post(postId)?.post.author, { id: bea.id, name: bea.name });
  assert.equal(log.projection.post(postId)?.post.body, 'Moderated');
  await deletePost(log.projection, { actor: admin, postId, key: 'admin-delete-key' });
  assert.equal(log.projection.post(postId), undefined);
});

test('an edit or a deletion made on an older version of a post is refused, naming the current one', async () => {
  const log = await streamWithAuthors();
  const { postId, seq: first } = await beasPost(log);
  const { record } = await editPost(log.projection, { actor: bea, postId, baseSeq: first, body: 'Kick-off, 19:00', key: 'bea-edit-1' });
  const stale = (key: string) => editPost(log.projection, { actor: bea, postId, baseSeq: first, body: 'Kick-off, 20:00', key });
  await assertRefused(log, () => stale('bea-edit-2'), 'LIVELOG_STALE_POST');
  await assert.rejects(stale('bea-edit-3'), { message: new RegExp(`now at version ${record.seq}\\b`) });
  await assertRefused(log, () => deletePost(log.projection, { actor: bea, postId, baseSeq: first, key: 'bea-delete-1' }), 'LIVELOG_STALE_POST');
  await editPost(log.projection, { actor: bea, postId, baseSeq: record.seq, body: 'Kick-off, 20:00', key: 'bea-edit-4' });
  assert.equal(log.projection.post(postId)?.post.body, 'Kick-off, 20:00');
});

test('a post that does not exist, or was deleted, cannot be edited, pinned or deleted', async () => {
  const log = await streamWithAuthors();
  const { postId } = await beasPost(log);
  await deletePost(log.projection, { actor: bea, postId, key: 'bea-delete-key' });
  for (const id of [postId, 'no-such-post']) {
    await assertRefused(log, () => editPost(log.projection, { actor: bea, postId: id, body: 'Back', key: `edit-${id}` }), 'LIVELOG_POST_NOT_FOUND');
    await assertRefused(log, () => pinPost(log.projection, { actor: bea, postId: id, pinned: true, key: `pin-${id}` }), 'LIVELOG_POST_NOT_FOUND');
    await assertRefused(log, () => deletePost(log.projection, { actor: bea, postId: id, key: `again-${id}` }), 'LIVELOG_POST_NOT_FOUND');
  }
});

test('ending an ended stream, or reopening a live one, is refused as unchanged', async () => {
  const log = await streamWithAuthors();
  await assertRefused(log, () => setStatus(log.projection, { actor: bea, status: 'live', key: 'bea-live-key' }), 'LIVELOG_STATUS_UNCHANGED');
  await setStatus(log.projection, { actor: bea, status: 'ended', key: 'bea-end-1' });
  await assertRefused(log, () => setStatus(log.projection, { actor: cai, status: 'ended', key: 'cai-end-1' }), 'LIVELOG_STATUS_UNCHANGED');
  await assertRefused(log, () => setStatus(log.projection, { actor: admin, status: 'ended', key: 'admin-end-1' }), 'LIVELOG_STATUS_UNCHANGED');
});

test('adding someone who is already an author, or removing someone who is not, is refused as unchanged', async () => {
  const log = await streamWithAuthors();
  const member = (who: { id: string; name: string }) => ({ id: who.id, name: who.name });
  await assertRefused(log, () => setAuthor(log.projection, { actor: admin, member: member(bea), active: true, key: 'add-bea-2' }), 'LIVELOG_MEMBERSHIP_UNCHANGED');
  await assertRefused(log, () => setAuthor(log.projection, { actor: admin, member: member(dan), active: false, key: 'drop-dan-1' }), 'LIVELOG_MEMBERSHIP_UNCHANGED');
  await assert.rejects(setAuthor(log.projection, { actor: admin, member: member(bea), active: true, key: 'add-bea-3' }), {
    message: '"Bea" is already an author of this stream',
  });
});

test('only an admin can add or remove a stream\'s authors, not an author of it', async () => {
  const log = await streamWithAuthors();
  const code = 'LIVELOG_ADMIN_ONLY';
  await assertRefused(log, () => setAuthor(log.projection, { actor: bea, member: { id: dan.id, name: dan.name }, active: true, key: 'bea-adds-dan' }), code);
  await assertRefused(log, () => setAuthor(log.projection, { actor: bea, member: { id: cai.id, name: cai.name }, active: false, key: 'bea-drops-cai' }), code);
  await assertRefused(log, () => setAuthor(log.projection, { actor: dan, member: { id: dan.id, name: dan.name }, active: true, key: 'dan-adds-dan' }), code);
});

test('a post needs some text: empty or blank posts and edits are refused, and so are over-long ones', async () => {
  const log = await streamWithAuthors();
  const { postId } = await beasPost(log);
  for (const body of ['', '   ', '\r\n\t \n']) {
    await assertRefused(log, () => publishPost(log.projection, { actor: bea, body, key: 'bea-blank-key' }), 'LIVELOG_EMPTY_POST');
    await assertRefused(log, () => editPost(log.projection, { actor: bea, postId, body, key: 'bea-blank-edit' }), 'LIVELOG_EMPTY_POST');
  }
  const long = 'x'.repeat(MAX_BODY_LENGTH + 1);
  await assertRefused(log, () => publishPost(log.projection, { actor: bea, body: long, key: 'bea-long-key' }), 'LIVELOG_POST_TOO_LONG');
  await publishPost(log.projection, { actor: bea, body: ` ${'x'.repeat(MAX_BODY_LENGTH)}\n`, key: 'bea-longest-key' });
});

test('text with a NUL character anywhere is refused, in a new post and in an edit', async () => {
  const log = await streamWithAuthors();
  const { postId } = await beasPost(log);
  await fc.assert(
    fc.asyncProperty(fc.string({ maxLength: 40 }), fc.string({ maxLength: 40 }), async (before, after) => {
      const body = `${before}\0${after}`;
      await assertRefused(log, () => publishPost(log.projection, { actor: bea, body, key: 'bea-nul-post' }), 'LIVELOG_INVALID_TEXT');
      await assertRefused(log, () => editPost(log.projection, { actor: bea, postId, body, key: 'bea-nul-edit' }), 'LIVELOG_INVALID_TEXT');
    }),
    { numRuns: 50 },
  );
});

test('an ended stream takes no new posts, from its authors or an admin, until it is reopened', async () => {
  const log = await streamWithAuthors();
  await setStatus(log.projection, { actor: cai, status: 'ended', key: 'cai-end-key' });
  for (const actor of [bea, admin]) {
    await assertRefused(log, () => publishPost(log.projection, { actor, body: 'Overtime!', key: 'late-post-key' }), 'LIVELOG_STREAM_ENDED');
    assert.throws(() => ensureMayPublish(log.projection, actor), { code: 'LIVELOG_STREAM_ENDED' });
  }
  await setStatus(log.projection, { actor: bea, status: 'live', key: 'bea-reopen-key' });
  const { record } = await publishPost(log.projection, { actor: bea, body: 'Overtime!', key: 'late-post-key' });
  assert.equal(log.projection.post(record.postId!)?.post.body, 'Overtime!');
});
