import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { setStatus } from '../../server/log/commands.ts';
import { announceStart, cancelScheduled, editScheduled, MAX_SCHEDULED_PER_STREAM, publishScheduled, schedulePost } from '../../server/log/schedule-commands.ts';
import { MemoryScheduleHints } from '../../server/log/schedule-hints.ts';
import { Scheduler } from '../../server/log/scheduler.ts';
import { assertRefused, bea, cai, dan, streamWithAuthors } from '../fixtures/command-log.ts';

// Scheduled posts: the rules, that one folds into no public state before its time, and that the
// scheduler publishes each once and forgets hints that no longer match.

const later = (ms: number) => new Date(Date.now() + ms);

test('a scheduled post folds into no public state until it is published, then into one post', async () => {
  const log = await streamWithAuthors();
  const hints = new MemoryScheduleHints();
  const { record } = await schedulePost(log.projection, hints, { actor: bea, body: 'Under embargo', key: 'sched-key-1', publishAt: later(60_000) });
  const id = record.postId!;
  assert.equal(log.projection.post(id), undefined);
  assert.doesNotMatch(JSON.stringify(log.projection.changesSince(0)), /embargo/);
  assert.equal(hints.hints.size, 1);
  await assertRefused(log, () => publishScheduled(log.projection, id), 'LIVELOG_NOT_DUE');
  const first = await publishScheduled(log.projection, id, later(61_000));
  const again = await publishScheduled(log.projection, id, later(61_000));
  assert.equal(again.replayed, true);
  assert.equal(again.record.seq, first.record.seq);
  assert.equal(log.projection.post(id)?.post.body, 'Under embargo');
  assert.equal(log.projection.post(id)?.post.createdSeq, first.record.seq);
  assert.equal(log.projection.state.scheduled.size, 0);
});

test('only the post\'s author (or an admin) changes or cancels it; a cancelled post is never published', async () => {
  const log = await streamWithAuthors();
  const hints = new MemoryScheduleHints();
  const id = (await schedulePost(log.projection, hints, { actor: bea, body: 'Tonight', key: 'sched-key-2', publishAt: later(60_000) })).record.postId!;
  await assertRefused(log, () => editScheduled(log.projection, hints, { actor: cai, key: 'cai-edit-1', postId: id, body: 'Mine' }), 'LIVELOG_NOT_YOUR_POST');
  await editScheduled(log.projection, hints, { actor: bea, key: 'bea-edit-1', postId: id, body: 'Tonight, 20:00' });
  assert.equal(log.projection.state.scheduled.get(id)?.post.body, 'Tonight, 20:00');
  await assertRefused(log, () => cancelScheduled(log.projection, { actor: cai, key: 'cai-cancel-1', postId: id }), 'LIVELOG_NOT_YOUR_POST');
  await cancelScheduled(log.projection, { actor: bea, key: 'bea-cancel-1', postId: id });
  await assertRefused(log, () => publishScheduled(log.projection, id, later(120_000)), 'LIVELOG_SCHEDULED_NOT_FOUND');
});

test('a publication time must be in the future and within bounds; a stream holds only so many scheduled posts', async () => {
  const log = await streamWithAuthors();
  const hints = new MemoryScheduleHints();
  for (const publishAt of [later(-1000), later(91 * 24 * 3600 * 1000), new Date(Number.NaN)]) {
    await assert.rejects(schedulePost(log.projection, hints, { actor: bea, body: 'x', key: 'sched-bad-1', publishAt }), { code: 'LIVELOG_INVALID_PUBLISH_AT' });
  }
  for (let i = 0; i < MAX_SCHEDULED_PER_STREAM; i++) await schedulePost(log.projection, hints, { actor: bea, body: `n${i}`, key: `sched-n-${i}`, publishAt: later(60_000) });
  await assertRefused(log, () => schedulePost(log.projection, hints, { actor: bea, body: 'more', key: 'sched-more', publishAt: later(60_000) }), 'LIVELOG_TOO_MANY_SCHEDULED');
});

test('the scheduler publishes what is due once, keeps what waits, drops hints that no longer match', async () => {
  const log = await streamWithAuthors();
  const hints = new MemoryScheduleHints();
  const scheduler = new Scheduler({ hints, projection: async () => log.projection, logger: pino({ level: 'silent' }), pollMs: 1000 });
  const soon = (await schedulePost(log.projection, hints, { actor: bea, body: 'soon', key: 'sched-soon', publishAt: later(1000) })).record.postId!;
  const moved = (await schedulePost(log.projection, hints, { actor: bea, body: 'moved', key: 'sched-moved', publishAt: later(1000) })).record.postId!;
  await editScheduled(log.projection, hints, { actor: bea, key: 'sched-move-1', postId: moved, publishAt: later(3600_000) });
  assert.equal(await scheduler.tick(later(2000)), 1);
  assert.equal(await scheduler.tick(later(2000)), 0, 'published once');
  assert.ok(log.projection.post(soon));
  assert.equal(log.projection.post(moved), undefined);
  assert.deepEqual([...hints.hints.values()].map((h) => h.postId), [moved], 'only the moved post\'s new hint is left');
});

test('a post due in an ended stream waits for it to be reopened', async () => {
  const log = await streamWithAuthors();
  const hints = new MemoryScheduleHints();
  const scheduler = new Scheduler({ hints, projection: async () => log.projection, logger: pino({ level: 'silent' }), pollMs: 1000 });
  const id = (await schedulePost(log.projection, hints, { actor: bea, body: 'after the break', key: 'sched-break', publishAt: later(1000) })).record.postId!;
  await setStatus(log.projection, { actor: bea, status: 'ended', key: 'end-break-1' });
  assert.equal(await scheduler.tick(later(2000)), 0);
  await setStatus(log.projection, { actor: bea, status: 'live', key: 'reopen-break-1' });
  assert.equal(await scheduler.tick(later(2000)), 1);
  assert.ok(log.projection.post(id));
});

test('a stream announces its start; the announcement is a change readers see nothing of but the time', async () => {
  const log = await streamWithAuthors();
  const startsAt = later(3600_000);
  await announceStart(log.projection, { actor: bea, key: 'announce-key-1', startsAt });
  assert.equal(log.projection.state.startsAt?.getTime(), startsAt.getTime());
  assert.equal(log.projection.updatedAt, undefined, '"last updated" stays');
  await assert.rejects(announceStart(log.projection, { actor: bea, key: 'announce-key-2', startsAt: later(-1000) }), { code: 'LIVELOG_INVALID_PUBLISH_AT' });
  await announceStart(log.projection, { actor: bea, key: 'announce-key-3', startsAt: null });
  assert.equal(log.projection.state.startsAt, undefined);
});

test('a refused scheduling or edit stores no hint: a non-author or a full stream cannot grow the hint collection', async () => {
  const log = await streamWithAuthors();
  const hints = new MemoryScheduleHints();
  const id = (await schedulePost(log.projection, hints, { actor: bea, body: 'Tonight', key: 'sched-hint-1', publishAt: later(60_000) })).record.postId!;
  assert.equal(hints.hints.size, 1);
  for (let i = 0; i < 5; i++) {
    await assertRefused(log, () => editScheduled(log.projection, hints, { actor: dan, key: `dan-edit-${i}`, postId: id, publishAt: later(120_000 + i) }), 'LIVELOG_NOT_AN_AUTHOR');
    await assertRefused(log, () => editScheduled(log.projection, hints, { actor: cai, key: `cai-edit-${i}`, postId: id, publishAt: later(120_000 + i) }), 'LIVELOG_NOT_YOUR_POST');
    await assertRefused(log, () => editScheduled(log.projection, hints, { actor: bea, key: `bea-none-${i}`, postId: `missing-${i}`, publishAt: later(120_000 + i) }), 'LIVELOG_SCHEDULED_NOT_FOUND');
    await assertRefused(log, () => schedulePost(log.projection, hints, { actor: dan, body: 'x', key: `dan-sched-${i}`, publishAt: later(120_000 + i) }), 'LIVELOG_NOT_AN_AUTHOR');
  }
  await setStatus(log.projection, { actor: bea, status: 'ended', key: 'end-hints-1' });
  await assertRefused(log, () => schedulePost(log.projection, hints, { actor: bea, body: 'x', key: 'sched-ended-1', publishAt: later(120_000) }), 'LIVELOG_STREAM_ENDED');
  assert.equal(hints.hints.size, 1, 'only the scheduled post\'s own hint');
});

test('posts waiting in ended streams do not starve the scheduler: a due post elsewhere is published within a few rounds', async () => {
  const ended = await streamWithAuthors();
  const throwaway = new MemoryScheduleHints();
  for (let i = 0; i < MAX_SCHEDULED_PER_STREAM; i++) await schedulePost(ended.projection, throwaway, { actor: bea, body: `w${i}`, key: `sched-wait-${i}`, publishAt: later(1000) });
  await setStatus(ended.projection, { actor: bea, status: 'ended', key: 'end-wait-1' });
  const hints = new MemoryScheduleHints();
  // Many ended streams' waiting posts, noted before the one that is due.
  for (let k = 0; k < 5; k++) for (const { post, publishAt } of ended.projection.state.scheduled.list()) await hints.add(`ended-${k}`, post.id, publishAt);
  const live = await streamWithAuthors();
  const id = (await schedulePost(live.projection, hints, { actor: bea, body: 'on time', key: 'sched-on-time', publishAt: later(1000) })).record.postId!;
  const scheduler = new Scheduler({ hints, projection: async (slug) => (slug === 'match' ? live.projection : ended.projection), logger: pino({ level: 'silent' }), pollMs: 1000 });
  for (let round = 0; round < 5 && !live.projection.post(id); round++) await scheduler.tick(later(2000));
  assert.ok(live.projection.post(id), 'the due post is published');
  assert.equal(hints.hints.size, 5 * MAX_SCHEDULED_PER_STREAM, 'the ended streams\' posts still wait for a reopening');
});
