import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Doorbell } from '../../server/live/doorbell.ts';
import { GroupDoorbell, GroupDoorbellRelay, isGroupRing } from '../../server/live/doorbell-group.ts';
import { WorkerOutbox } from '../../server/workers/outbox.ts';

/** The database's doorbell as the primary sees it: what it was asked to ring, and a way to make it hear. */
class FakeDatabaseDoorbell implements Doorbell {
  rung: [string, number][] = [];
  hear: (stream: string, seq: number) => void = () => {};
  health: (healthy: boolean) => void = () => {};
  stopped = false;
  ring(stream: string, seq: number): void {
    this.rung.push([stream, seq]);
  }
  start(onRing: (stream: string, seq: number) => void, onHealth?: (healthy: boolean) => void): void {
    this.hear = onRing;
    if (onHealth) this.health = onHealth;
  }
  async stop(): Promise<void> {
    this.stopped = true;
  }
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

/**
 * A primary and its workers wired as the cluster's IPC would (asynchronously, messages cloned,
 * through the primary's bounded outbox); a paused worker's channel takes nothing until resumed.
 */
function group(size: number, maxUnsent?: number) {
  const database = new FakeDatabaseDoorbell();
  const toWorker = new Map<number, (message: unknown) => void>();
  const gone = new Map<number, () => void>();
  const outbox = new WorkerOutbox(maxUnsent);
  const held = new Map<number, (() => void)[]>();
  const channel = (id: number) => ({
    id,
    send: (message: object, done: () => void) => {
      const deliver = () =>
        setImmediate(() => {
          toWorker.get(id)?.(structuredClone(message));
          done();
        });
      const paused = held.get(id);
      if (paused) paused.push(deliver);
      else deliver();
    },
  });
  const relay = new GroupDoorbellRelay(database, {
    send: (id, message) => outbox.send(channel(id), message),
    broadcast: (message, except) => {
      for (const id of toWorker.keys()) if (id !== except) outbox.send(channel(id), message);
    },
    onCaughtUp: (listener) => outbox.onCaughtUp(listener),
  });
  relay.start();
  const workers = Array.from({ length: size }, (_, index) => {
    const id = index + 1;
    const heard: [string, number][] = [];
    const health: boolean[] = [];
    const doorbell = new GroupDoorbell({
      send: (message) => setImmediate(() => relay.handle(id, structuredClone(message))),
      onMessage: (listener) => toWorker.set(id, listener),
      offMessage: (listener) => {
        if (toWorker.get(id) === listener) toWorker.delete(id);
      },
      onGone: (listener) => gone.set(id, listener),
    });
    doorbell.start(
      (stream, seq) => heard.push([stream, seq]),
      (healthy) => health.push(healthy),
    );
    return {
      id,
      doorbell,
      heard,
      health,
      primaryGone: () => gone.get(id)?.(),
      pause: () => held.set(id, []),
      resume: () => {
        const waiting = held.get(id) ?? [];
        held.delete(id);
        for (const deliver of waiting) deliver();
      },
    };
  });
  return { database, relay, workers, outbox };
}

test("a worker's ring reaches the database and the group's other workers, never itself", async () => {
  const { database, workers } = group(3);
  const [a, b, c] = workers;
  a!.doorbell.ring('match', 7);
  await settle();
  await settle();
  assert.deepEqual(database.rung, [['match', 7]], 'other machines hear it through the database');
  assert.deepEqual(b!.heard, [['match', 7]]);
  assert.deepEqual(c!.heard, [['match', 7]]);
  assert.deepEqual(a!.heard, [], 'the sender already has it');
});

test('a ring read from the database reaches every worker, in order', async () => {
  const { database, workers } = group(2);
  database.hear('match', 1);
  database.hear('other', 4);
  database.hear('match', 2);
  await settle();
  for (const worker of workers) assert.deepEqual(worker.heard, [['match', 1], ['other', 4], ['match', 2]]);
  assert.deepEqual(database.rung, [], 'nothing read is rung again');
});

test("the workers vouch for rings only while the primary's doorbell does, and a worker that starts late learns it", async () => {
  const { database, relay, workers } = group(2);
  const [a, b] = workers;
  database.health(true);
  await settle();
  database.health(false);
  await settle();
  assert.deepEqual(a!.health, [true, false]);
  assert.deepEqual(b!.health, [true, false]);
  database.health(true);
  await settle();
  // The primary tells a worker once it listens (so its doorbell is started): the health it missed.
  relay.workerServing(b!.id);
  await settle();
  assert.deepEqual(b!.health, [true, false, true, true]);
  assert.deepEqual(a!.health, [true, false, true]);
  // Its primary gone, nothing vouches for the rings any more: back to the fast catch-up.
  a!.primaryGone();
  assert.deepEqual(a!.health, [true, false, true, false]);
});

test('messages that are not well-formed rings are ignored on both ends', async () => {
  const { database, relay, workers } = group(2);
  for (const bad of [
    null,
    'ring',
    { livelog: 'doorbell-ring', stream: 'match' },
    { livelog: 'doorbell-ring', stream: '', seq: 1 },
    { livelog: 'doorbell-ring', stream: 'x'.repeat(65), seq: 1 },
    { livelog: 'doorbell-ring', stream: 'match', seq: 0 },
    { livelog: 'doorbell-ring', stream: 'match', seq: 1.5 },
    { livelog: 'doorbell-ring', stream: 'match', seq: '3' },
    { livelog: 'limits', stream: 'match', seq: 3 },
  ]) {
    assert.equal(isGroupRing(bad), false, JSON.stringify(bad));
    assert.equal(relay.handle(1, bad), false, JSON.stringify(bad));
  }
  assert.deepEqual(database.rung, []);
  assert.equal(relay.handle(1, { livelog: 'doorbell-ring', stream: 'match', seq: 3 }), true);
  await settle();
  assert.deepEqual(workers[1]!.heard, [['match', 3]]);
});

test('a stopped worker doorbell hears nothing more, and stopping the relay stops the database doorbell', async () => {
  const { database, relay, workers } = group(2);
  const [a, b] = workers;
  await a!.doorbell.stop();
  database.hear('match', 9);
  a!.primaryGone();
  await settle();
  assert.deepEqual(a!.heard, []);
  assert.deepEqual(a!.health, []);
  assert.deepEqual(b!.heard, [['match', 9]]);
  await relay.stop();
  assert.equal(database.stopped, true);
});

test('a worker that stops reading gets at most the bound of messages queued; the rings past it are dropped, and once it catches up it is told to catch up fast', async () => {
  const { database, workers, outbox } = group(2, 3);
  const [a, b] = workers;
  database.health(true);
  await settle();
  a!.pause(); // a long garbage collection, say
  for (let seq = 1; seq <= 10; seq++) {
    database.hear('match', seq);
    await settle();
  }
  assert.equal(outbox.inFlight(a!.id), 3, 'the queue to the stuck worker stops at the bound');
  assert.deepEqual(b!.heard.map(([, seq]) => seq), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 'a worker that reads misses nothing');
  a!.resume();
  await settle();
  await settle();
  // It got the first three rings; the other seven were dropped. Told the doorbell failed and
  // recovered, its catch-up runs fast rounds, which read those changes from the log.
  assert.deepEqual(a!.heard.map(([, seq]) => seq), [1, 2, 3]);
  assert.deepEqual(a!.health, [true, false, true]);
  assert.equal(outbox.inFlight(a!.id), 0);
  // Caught up, it hears every ring again.
  database.hear('match', 11);
  await settle();
  assert.deepEqual(a!.heard.at(-1), ['match', 11]);
});
