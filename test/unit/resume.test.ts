import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseResumePoint, replayAfter } from '../../server/log/resume.ts';

test('a resume point is SEQ or EPOCH.SEQ; none at all is the start', () => {
  assert.deepEqual(parseResumePoint(undefined), { seq: 0 });
  assert.deepEqual(parseResumePoint(''), { seq: 0 });
  assert.deepEqual(parseResumePoint('42'), { epoch: undefined, seq: 42 });
  assert.deepEqual(parseResumePoint('aB3_-x.7'), { epoch: 'aB3_-x', seq: 7 });
  assert.deepEqual(parseResumePoint('999999999999'), { epoch: undefined, seq: 999_999_999_999 });
});

test('anything else is not a resume point, so the caller can refuse it rather than guess', () => {
  for (const text of ['-1', '1.5.2', 'abc', 'e1.', '.5', '1e3', ' 5', '5 ', '1234567890123', `${'x'.repeat(33)}.1`, 'e/1.2']) {
    assert.equal(parseResumePoint(text), null, JSON.stringify(text));
  }
});

test('a viewer resumes after its seq in the same epoch, from scratch in another, never past the head', () => {
  const stream = { epoch: 'e2', head: 10 };
  assert.equal(replayAfter({ seq: 4 }, stream), 4);
  assert.equal(replayAfter({ epoch: 'e2', seq: 4 }, stream), 4);
  assert.equal(replayAfter({ epoch: 'e1', seq: 4 }, stream), 0, 'a point from an older life of the stream replays everything');
  assert.equal(replayAfter({ epoch: 'e2', seq: 99 }, stream), 10, 'a point past the head replays nothing and skips nothing');
});
