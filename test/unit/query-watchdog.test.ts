import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MongoServerError, MongoNetworkError } from 'mongodb';
import { QueryWatchdog } from '../../server/db/embedded/query-watchdog.ts';

// A FerretDB that runs but refuses every query is restarted; one that is slow or away is not.

function watchdog(outcomes: (Error | null)[]) {
  const recycled: string[] = [];
  const dog = new QueryWatchdog({
    probe: async () => {
      const outcome = outcomes.shift();
      if (outcome) throw outcome;
    },
    recycle: (reason) => recycled.push(reason),
    logger: { warn: () => {} },
  });
  return { dog, recycled };
}

const refused = () => new MongoServerError({ message: 'sqlite.(*collection).Query interrupted (9)', code: 1 });

test('three refusals in a row recycle FerretDB, and the count starts again', async () => {
  const { dog, recycled } = watchdog([refused(), refused(), refused(), refused(), refused()]);
  for (let i = 0; i < 5; i++) await dog.check();
  assert.equal(recycled.length, 1);
  assert.match(recycled[0]!, /interrupted/);
});

test('an answer in between resets the count', async () => {
  const { dog, recycled } = watchdog([refused(), refused(), null, refused(), refused()]);
  for (let i = 0; i < 5; i++) await dog.check();
  assert.deepEqual(recycled, []);
});

test('timeouts and lost connections are not refusals: a restart would not help them', async () => {
  const slow = () => new MongoServerError({ message: 'operation exceeded time limit', code: 50 });
  const { dog, recycled } = watchdog([new MongoNetworkError('connection closed'), slow(), new MongoNetworkError('x'), slow(), slow()]);
  for (let i = 0; i < 5; i++) await dog.check();
  assert.deepEqual(recycled, []);
});
