import { test } from 'node:test';
import assert from 'node:assert/strict';
import { editPost, pinPost, publishPost, setAuthor, setStatus } from '../../server/log/commands.ts';
import {
  approveSubmission,
  ensureMayReview,
  MAX_PENDING_PER_CONTRIBUTOR,
  rejectSubmission,
  submitPost,
} from '../../server/log/review-commands.ts';
import { StreamProjection } from '../../server/log/projection.ts';
import type { Actor } from '../../server/log/records.ts';
import { MAX_REVIEWED_KEPT } from '../../server/log/submissions.ts';
import { describeChange } from '../../server/render/history.ts';
import { admin, assertRefused, bea, beasPost, dan, type Log, streamWithAuthors } from '../fixtures/command-log.ts';

// Contributors submit, editors (the stream's authors, admins) approve or reject: the rules, and
// that a submission folds into nothing a viewer can reach until it is approved.

const eve = { id: 'u5', name: 'Eve', admin: false, contributor: true };
const fay = { id: 'u6', name: 'Fay', admin: false, contributor: true };

async function streamWithContributor(): Promise<Log> {
  const log = await streamWithAuthors();
  await setAuthor(log.projection, { actor: admin, key: 'add-eve-key', member: { id: eve.id, name: eve.name }, active: true });
  return log;
}

const submit = (log: Log, body = 'Stringer at the stadium: 1-0', actor: Actor = eve) =>
  submitPost(log.projection, { actor, body, key: `submit-${log.projection.head}` });

test('a pending submission folds into no public state: no post, no replay entry, no key moment, no "last updated"', async () => {
  const log = await streamWithContributor();
  const updatedAt = log.projection.updatedAt;
  const { record } = await submit(log, 'secret until approved');
  const id = record.postId!;
  assert.equal(log.projection.post(id), undefined);
  assert.equal(log.projection.postCount, 0);
  assert.deepEqual(log.projection.page(50), []);
  const replay = log.projection.changesSince(0);
  assert.deepEqual(replay.map((c) => c.kind), ['status'], 'viewers learn only that the seq moved');
  assert.doesNotMatch(JSON.stringify(replay), /secret until approved/);
  assert.equal(log.projection.updatedAt, updatedAt);
  assert.equal(log.projection.state.submissions.get(id)?.status, 'pending');
  // A fresh fold of the same log (another instance, a restart, the export) agrees.
  const again = new StreamProjection(log.projection.stream, log.store);
  await again.load();
  assert.equal(again.postCount, 0);
  assert.equal(again.state.submissions.pending()[0]?.post?.body, 'secret until approved');
});

test('an approval publishes the submission once, as its contributor\'s post, and a second approval replays the first', async () => {
  const log = await streamWithContributor();
  const { record } = await submit(log);
  const id = record.postId!;
  const first = await approveSubmission(log.projection, { actor: bea, submissionId: id });
  const second = await approveSubmission(log.projection, { actor: admin, submissionId: id });
  assert.equal(second.replayed, true);
  assert.equal(second.record.seq, first.record.seq);
  const post = log.projection.post(id);
  assert.equal(post?.post.author.name, 'Eve');
  assert.equal(post?.post.createdSeq, first.record.seq);
  assert.equal(log.projection.postCount, 1);
  assert.equal(log.projection.state.submissions.get(id)?.status, 'approved');
  assert.equal(log.projection.state.submissions.get(id)?.post, undefined, 'reviewed submissions keep no text');
});

test('a rejection keeps the submission out for good and tells its contributor why', async () => {
  const log = await streamWithContributor();
  const id = (await submit(log)).record.postId!;
  await rejectSubmission(log.projection, { actor: bea, submissionId: id, reason: 'Score not confirmed yet' });
  const mine = log.projection.state.submissions.of(eve.id);
  assert.deepEqual(mine.map((s) => [s.status, s.reason]), [['rejected', 'Score not confirmed yet']]);
  await assertRefused(log, () => approveSubmission(log.projection, { actor: bea, submissionId: id }), 'LIVELOG_ALREADY_REVIEWED');
  assert.equal(log.projection.post(id), undefined);
});

test('only contributors of the stream submit; authors and admins publish instead', async () => {
  const log = await streamWithContributor();
  await assertRefused(log, () => submit(log, 'not mine to send', fay), 'LIVELOG_NOT_A_CONTRIBUTOR');
  await assertRefused(log, () => submit(log, 'an author', bea), 'LIVELOG_NOT_A_CONTRIBUTOR');
  await assertRefused(log, () => submit(log, 'an outsider', dan), 'LIVELOG_NOT_A_CONTRIBUTOR');
});

test('a contributor cannot publish, edit, pin, end the stream, approve or reject', async () => {
  const log = await streamWithContributor();
  const { postId } = await beasPost(log);
  const id = (await submit(log)).record.postId!;
  await assertRefused(log, () => publishPost(log.projection, { actor: eve, body: 'direct', key: 'eve-direct-key' }), 'LIVELOG_CONTRIBUTORS_SUBMIT');
  await assertRefused(log, () => editPost(log.projection, { actor: eve, postId, body: 'mine', key: 'eve-edit-key' }), 'LIVELOG_CONTRIBUTORS_SUBMIT');
  await assertRefused(log, () => pinPost(log.projection, { actor: eve, postId, pinned: true, key: 'eve-pin-key' }), 'LIVELOG_CONTRIBUTORS_SUBMIT');
  await assertRefused(log, () => setStatus(log.projection, { actor: eve, status: 'ended', key: 'eve-end-key' }), 'LIVELOG_CONTRIBUTORS_SUBMIT');
  await assertRefused(log, () => approveSubmission(log.projection, { actor: eve, submissionId: id }), 'LIVELOG_NOT_AN_EDITOR');
  await assertRefused(log, () => rejectSubmission(log.projection, { actor: eve, submissionId: id, reason: 'no' }), 'LIVELOG_NOT_AN_EDITOR');
  assert.throws(() => ensureMayReview(log.projection, eve), { code: 'LIVELOG_NOT_AN_EDITOR' });
  assert.throws(() => ensureMayReview(log.projection, dan), { code: 'LIVELOG_NOT_AN_EDITOR' });
  ensureMayReview(log.projection, admin);
});

test('a rejection needs a reason of bounded length; an unknown submission is a 404', async () => {
  const log = await streamWithContributor();
  const id = (await submit(log)).record.postId!;
  await assert.rejects(rejectSubmission(log.projection, { actor: bea, submissionId: id, reason: '  ' }), { code: 'LIVELOG_INVALID_REASON' });
  await assert.rejects(rejectSubmission(log.projection, { actor: bea, submissionId: id, reason: 'x'.repeat(501) }), { code: 'LIVELOG_INVALID_REASON' });
  await assertRefused(log, () => approveSubmission(log.projection, { actor: bea, submissionId: 'nope' }), 'LIVELOG_SUBMISSION_NOT_FOUND');
});

test('a contributor may have only so many submissions waiting; a review frees a place', async () => {
  const log = await streamWithContributor();
  let last = '';
  for (let i = 0; i < MAX_PENDING_PER_CONTRIBUTOR; i++) last = (await submit(log, `update ${i}`)).record.postId!;
  await assertRefused(log, () => submit(log, 'one too many'), 'LIVELOG_TOO_MANY_PENDING');
  await rejectSubmission(log.projection, { actor: bea, submissionId: last, reason: 'duplicate' });
  await submit(log, 'room again');
});

test('an ended stream takes no submissions and publishes no approvals', async () => {
  const log = await streamWithContributor();
  const id = (await submit(log)).record.postId!;
  await setStatus(log.projection, { actor: bea, status: 'ended', key: 'end-key-1' });
  await assertRefused(log, () => submit(log, 'late'), 'LIVELOG_STREAM_ENDED');
  await assertRefused(log, () => approveSubmission(log.projection, { actor: bea, submissionId: id }), 'LIVELOG_STREAM_ENDED');
});

test('reviewed submissions kept in memory are bounded', async () => {
  const log = await streamWithContributor();
  const queue = log.projection.state.submissions;
  for (let i = 0; i < MAX_REVIEWED_KEPT + 5; i++) {
    const id = (await submit(log, `u${i}`)).record.postId!;
    await rejectSubmission(log.projection, { actor: bea, submissionId: id, reason: 'no' });
  }
  assert.equal(queue.of(eve.id).length, MAX_REVIEWED_KEPT);
});

test('the stream history names submissions, approvals and rejections', async () => {
  const log = await streamWithContributor();
  const submitted = (await submit(log, 'From the stands')).record;
  const rejected = (await rejectSubmission(log.projection, { actor: bea, submissionId: submitted.postId!, reason: 'Blurry' })).record;
  const again = (await submit(log, 'Clearer now')).record;
  const approved = (await approveSubmission(log.projection, { actor: bea, submissionId: again.postId! })).record;
  assert.deepEqual([submitted, rejected, approved].map(describeChange), ['submitted “From the stands” for review', 'rejected a submission: Blurry', 'approved “Clearer now”']);
});
