import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StreamFold } from '../../server/log/fold.ts';
import { type ChangeRecord, changeId } from '../../server/log/records.ts';

// Feeds, JSON-LD and the export date things by the log: when readers last saw a change, and when
// the stream was ended (coverageEndTime), which only a status change sets and a reopening clears.

const by = { id: 'u', name: 'Ada' };
let seq = 0;
const change = (minute: number, extra: Partial<ChangeRecord>): ChangeRecord => {
  seq++;
  return { _id: changeId('s', seq), stream: 's', seq, key: `k${seq}`, fingerprint: 'f', at: new Date(Date.UTC(2026, 10, 20, 18, minute)), type: 'post', by, ...extra };
};
/** The minute of a time, or undefined: a read that TypeScript does not narrow away. */
const minute = (time: Date | undefined) => time?.getUTCMinutes();
const post = { id: 'p1', author: by, body: 'Hi', createdAt: new Date(Date.UTC(2026, 10, 20, 18, 0)), createdSeq: 1, pinned: false };

test('updatedAt follows the changes readers see; endedAt is the ending change, cleared on reopening', () => {
  const fold = new StreamFold();
  assert.equal(fold.updatedAt, undefined);
  fold.apply(change(0, { type: 'post', postId: 'p1', post }));
  assert.equal(minute(fold.updatedAt), 0);
  fold.apply(change(5, { type: 'edit', postId: 'p1', post: { ...post, body: 'Hello' } }));
  assert.equal(minute(fold.updatedAt), 5);
  fold.apply(change(7, { type: 'member', member: { id: 'v', name: 'Bo' }, active: true }));
  assert.equal(minute(fold.updatedAt), 5, 'a new author changes nothing readers see');
  assert.equal(fold.endedAt, undefined);
  fold.apply(change(9, { type: 'status', status: 'ended' }));
  assert.equal(minute(fold.endedAt), 9);
  assert.equal(minute(fold.updatedAt), 9);
  fold.apply(change(11, { type: 'member', member: { id: 'v', name: 'Bo' }, active: false }));
  assert.equal(minute(fold.endedAt), 9, 'membership does not move the end');
  fold.apply(change(12, { type: 'status', status: 'live' }));
  assert.equal(fold.endedAt, undefined);
});
