import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LocalPresence, type PresenceBoard } from '../../server/live/presence-local.ts';
import { GroupPresence, isPresenceReport, type PresenceReport, WorkerPresence } from '../../server/live/presence-group.ts';

const INTERVAL_MS = 1000;

/**
 * A group's primary and workers wired as the cluster's IPC would (asynchronously, messages cloned),
 * with a board in memory standing in for the database, shared with another machine's instance.
 */
function group(size: number) {
  const board: PresenceBoard = new Map();
  const errors: unknown[] = [];
  const primary = new GroupPresence(new LocalPresence('group', INTERVAL_MS, board), INTERVAL_MS, (error) => errors.push(error));
  const workers = Array.from({ length: size }, (_, index) => {
    const id = index + 1;
    let listener: (message: unknown) => void = () => {};
    return new WorkerPresence(
      {
        send: (message: PresenceReport) =>
          setImmediate(() => primary.handle(id, structuredClone(message), (totals) => setImmediate(() => listener(structuredClone(totals))))),
        onMessage: (l) => {
          listener = l;
        },
      },
      500,
    );
  });
  const elsewhere = new LocalPresence('another machine', INTERVAL_MS, board);
  return { primary, workers, elsewhere, errors };
}

const counts = (entries: Record<string, number>) => new Map(Object.entries(entries));
const streams = (...slugs: string[]) => new Set(slugs);

test("a group's workers add up at once, and its total reaches other machines through one presence record", async () => {
  const { primary, workers, elsewhere } = group(2);
  const [a, b] = workers;
  await a!.tally(counts({ match: 3 }), streams('match'));
  assert.deepEqual(await b!.tally(counts({ match: 2, other: 1 }), streams('match', 'other')), counts({ match: 5, other: 1 }), 'the group at once');
  await primary.round();
  assert.deepEqual(await elsewhere.tally(counts({ match: 4 }), streams('match')), counts({ match: 9 }), 'the other machine counts the group');
  // The other machine's viewers reach the workers with the primary's next round.
  await primary.round();
  assert.deepEqual(await a!.tally(counts({ match: 3 }), streams('match')), counts({ match: 9 }));
  // A worker's viewers leave: the group's own total moves at once, the others' stays as last read.
  assert.deepEqual(await b!.tally(counts({}), streams('match', 'other')), counts({ match: 7, other: 0 }));
});

test('a worker that is gone or silent for a few rounds no longer counts', (t) => {
  t.mock.timers.enable({ apis: ['Date'], now: 0 });
  const { primary } = group(0);
  const report = (round: number, n: number): PresenceReport => ({ livelog: 'presence', round, counts: [['match', n]], streams: ['match'] });
  primary.handle(1, report(1, 3), () => {});
  primary.handle(2, report(1, 2), () => {});
  primary.workerGone(2);
  t.mock.timers.tick(3 * INTERVAL_MS + 1);
  let answered: unknown;
  primary.handle(3, report(1, 1), (totals) => {
    answered = totals;
  });
  assert.deepEqual(answered, { livelog: 'presence-totals', round: 1, totals: [['match', 1]] }, 'the dead one and the silent one are left out');
});

test('a primary that does not answer fails the round, and its late answer is not taken for the next', async () => {
  let listener: (message: unknown) => void = () => {};
  const sent: PresenceReport[] = [];
  const worker = new WorkerPresence({ send: (message) => sent.push(message), onMessage: (l) => (listener = l) }, 20);
  await assert.rejects(worker.tally(counts({ match: 1 }), streams('match')), /did not answer/);
  const next = worker.tally(counts({ match: 1 }), streams('match'));
  listener({ livelog: 'presence-totals', round: 1, totals: [['match', 99]] });
  listener({ livelog: 'presence-totals', round: 2, totals: [['match', 4]] });
  assert.deepEqual(await next, counts({ match: 4 }));
  assert.deepEqual(sent.map((m) => m.round), [1, 2]);
});

test('the primary ignores reports that are not well-formed', () => {
  const { primary } = group(0);
  for (const bad of [
    null,
    { livelog: 'presence', round: 1, counts: [], streams: 'match' },
    { livelog: 'presence', round: 1, counts: [['match', 0]], streams: [] },
    { livelog: 'presence', round: 1, counts: [['match', -1]], streams: [] },
    { livelog: 'presence', round: 1, counts: [['match', 1, 2]], streams: [] },
    { livelog: 'presence', round: 1, counts: [['x'.repeat(65), 1]], streams: [] },
    { livelog: 'presence', round: 1, counts: [], streams: [''] },
    { livelog: 'presence', round: '1', counts: [], streams: [] },
    { livelog: 'limits', round: 1, counts: [], streams: [] },
  ]) {
    assert.equal(isPresenceReport(bad), false, JSON.stringify(bad));
    assert.equal(primary.handle(1, bad, () => assert.fail('answered')), false);
  }
});
