import { test } from 'node:test';
import assert from 'node:assert/strict';
import { workerCount } from '../../server/workers/count.ts';
import {
  GroupLimits,
  groupLoginGate,
  groupRateLimitStore,
  type LimitsRequest,
  type PrimaryChannel,
  PrimaryQuestions,
} from '../../server/workers/shared-limits.ts';

test('LIVELOG_WORKERS is a count, or auto for one per core (at least one)', () => {
  assert.equal(workerCount('1', 8), 1);
  assert.equal(workerCount('12', 4), 12);
  assert.equal(workerCount('auto', 8), 8);
  assert.equal(workerCount('auto', 0), 1);
  assert.throws(() => workerCount('0', 4), /LIVELOG_WORKERS/);
  assert.equal(workerCount('8', 2), 8);
  assert.throws(() => workerCount('999', 2), /more than 4 per core \(8 here\)/);
});

/** Workers wired to one primary's limits in memory, as the cluster's IPC would (asynchronously). */
function group(size: number) {
  const limits = new GroupLimits();
  const workers = Array.from({ length: size }, (_, index) => {
    const id = index + 1;
    let listener: (message: unknown) => void = () => {};
    const channel: PrimaryChannel = {
      send: (message: LimitsRequest) =>
        setImmediate(() => limits.handle(id, structuredClone(message), (answer) => setImmediate(() => listener(structuredClone(answer))))),
      onMessage: (l) => {
        listener = l;
      },
    };
    const questions = new PrimaryQuestions(channel);
    const Store = groupRateLimitStore(questions);
    return { id, questions, store: new Store({ timeWindow: 60_000, max: 3 }), login: groupLoginGate(questions) };
  });
  return { limits, workers };
}

const incr = (store: { incr: (key: string, cb: (e: Error | null, r?: { current: number; ttl: number }) => void) => void }, key: string) =>
  new Promise<{ current: number; ttl: number }>((resolve, reject) => store.incr(key, (e, r) => (e || !r ? reject(e) : resolve(r))));

test('a user changing through two workers spends one budget, counted in the primary', async () => {
  const { workers } = group(2);
  const [a, b] = workers;
  const counts = [];
  for (let i = 0; i < 4; i++) counts.push((await incr(i % 2 ? b!.store : a!.store, 'changes:user-1')).current);
  assert.deepEqual(counts, [1, 2, 3, 4], 'the fourth change is past a budget of 3, whichever worker takes it');
  assert.equal((await incr(b!.store, 'changes:user-2')).current, 1, 'another user has a budget of their own');
  const { ttl } = await incr(a!.store, 'changes:user-1');
  assert.ok(ttl > 59_000 && ttl <= 60_000, `the window is the plugin's: ${ttl}`);
});

test('failed log-ins through two workers add up to one lock, and a dead worker releases its checks', async () => {
  const { limits, workers } = group(2);
  const [a, b] = workers;
  for (let i = 0; i < 5; i++) {
    const worker = i % 2 ? b! : a!;
    assert.equal(await worker.login.check('10.0.0.9', 'reporter', false), null);
    worker.login.failed('10.0.0.9', 'reporter');
  }
  await new Promise((r) => setImmediate(r));
  assert.match((await b!.login.check('10.0.0.9', 'reporter', false))?.message ?? '', /Too many failed log-ins for this name/);

  // Checks under way count against the guesses left: one worker holding them all blocks the name…
  for (let i = 0; i < 5; i++) assert.equal(await a!.login.check('10.0.0.10', 'editor', false), null);
  assert.match((await b!.login.check('10.0.0.10', 'editor', false))?.message ?? '', /at once/);
  // …until that worker dies: its checks end without a verdict, and no failure was counted.
  limits.workerGone(a!.id);
  assert.equal(await b!.login.check('10.0.0.10', 'editor', false), null);
});

test('a primary that does not answer costs a worker its shared count, never an error', async () => {
  const silent: PrimaryChannel = { send: () => {}, onMessage: () => {} };
  const questions = new PrimaryQuestions(silent, 20, 2);
  const Store = groupRateLimitStore(questions);
  const store = new Store({ timeWindow: 60_000, max: 3 });
  assert.deepEqual([(await incr(store, 'changes:u')).current, (await incr(store, 'changes:u')).current], [1, 2], 'counted in the worker meanwhile');
  assert.equal((await groupLoginGate(questions).check('10.0.0.9', 'reporter', false))?.retryAfterSeconds, 2, 'a log-in is asked to come back shortly');
});

test('questions waiting for the primary are bounded', async () => {
  const sent: unknown[] = [];
  const questions = new PrimaryQuestions({ send: (m) => sent.push(m), onMessage: () => {} }, 50, 2);
  const answers = await Promise.all([1, 2, 3].map(() => questions.ask({ op: 'change', key: 'k', timeWindow: 1000, max: 1 })));
  assert.equal(sent.length, 2, 'the third was not sent');
  assert.equal(answers.length, 3);
});

test('the primary ignores messages that are not well-formed limit requests', () => {
  const limits = new GroupLimits();
  const answers: unknown[] = [];
  for (const message of [
    null,
    'limits',
    { livelog: 'limits', op: 'change', id: 1, key: 'x'.repeat(301), timeWindow: 1000, max: 1 },
    { livelog: 'limits', op: 'login-check', id: 2, address: '1.2.3.4', name: 'a' },
    { livelog: 'limits', op: 'drop-everything' },
    { 'prom-client': 'getMetricsReq' },
  ]) {
    assert.equal(limits.handle(1, message, (a) => answers.push(a)), false);
  }
  // A verdict for a check that was never let through is ignored: it cannot unlock or count twice.
  assert.equal(limits.handle(1, { livelog: 'limits', op: 'login-succeeded', address: '1.2.3.4', name: 'a' }, (a) => answers.push(a)), true);
  assert.deepEqual(answers, []);
});

test('a log-in check the primary answers too late is ended, so it does not hold the name forever', async () => {
  const limits = new GroupLimits();
  let listener: (message: unknown) => void = () => {};
  const held: LimitsRequest[] = [];
  let stalled = true;
  // The primary stalls (held messages), then catches up in order, answering after the worker gave up.
  const channel: PrimaryChannel = {
    send: (message) => (stalled ? held.push(structuredClone(message)) : limits.handle(1, structuredClone(message), (answer) => listener(answer))),
    onMessage: (l) => {
      listener = l;
    },
  };
  const gate = groupLoginGate(new PrimaryQuestions(channel, 20));
  for (let i = 0; i < 6; i++) assert.equal((await gate.check('10.0.0.9', 'reporter', false))?.retryAfterSeconds, 2, 'busy while the primary stalls');
  stalled = false;
  for (const message of held.splice(0)) limits.handle(1, message, () => {});
  assert.equal(await gate.check('10.0.0.9', 'reporter', false), null, 'the honest user gets in once the primary is back');
});
