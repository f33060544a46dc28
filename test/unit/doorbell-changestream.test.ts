import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import type { Db } from 'mongodb';
import { assertChangeStreams, type ChangeEvent, type ChangeFeed, ChangeStreamDoorbell } from '../../server/live/doorbell-changestream.ts';

// LIVELOG_RELAY=changestream, with a fake change stream standing in for a replica set's (none can
// run on these machines): what it rings, where it resumes after an error, and how a lost resume
// token falls back to catch-up.

const logger = pino({ level: 'silent' });

/** A change stream the test drives: events and errors are pushed, tryNext hands them out in order. */
class FakeFeed implements ChangeFeed {
  resumeToken: unknown;
  closed = false;
  private queue: (ChangeEvent | Error)[] = [];
  private wake: (() => void) | undefined;

  constructor(readonly openedAfter: unknown) {
    this.resumeToken = openedAfter;
  }

  push(item: ChangeEvent | Error): void {
    this.queue.push(item);
    this.wake?.();
  }

  async tryNext(): Promise<ChangeEvent | null> {
    if (this.queue.length === 0) await new Promise<void>((resolve) => {
      this.wake = resolve;
      setTimeout(resolve, 30); // the server's "nothing yet" after its await time
    });
    this.wake = undefined;
    if (this.closed) throw new Error('change stream closed');
    const item = this.queue.shift();
    if (item instanceof Error) throw item;
    if (item) this.resumeToken = item._id;
    return item ?? null;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wake?.();
  }
}

function serverError(code: number): Error {
  return Object.assign(new Error(`server error ${code}`), { code });
}

const insert = (token: string, stream: string, seq: number): ChangeEvent => ({ _id: token, fullDocument: { stream, seq } });

async function until(condition: () => boolean, what: string): Promise<void> {
  for (const deadline = Date.now() + 3000; !condition(); ) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function relay() {
  const feeds: FakeFeed[] = [];
  const doorbell = new ChangeStreamDoorbell(
    (resumeAfter) => {
      const feed = new FakeFeed(resumeAfter);
      feeds.push(feed);
      return feed;
    },
    logger,
    { staleMs: 1000, retryMs: 5 },
  );
  const rings: [string, number][] = [];
  const health: boolean[] = [];
  doorbell.start(
    (stream, seq) => rings.push([stream, seq]),
    (healthy) => health.push(healthy),
  );
  return { doorbell, feeds, rings, health, last: () => feeds.at(-1)! };
}

test('every change inserted by any instance rings its stream and seq, and the relay vouches once the stream answers', async () => {
  const { doorbell, rings, health, last } = relay();
  try {
    await until(() => health.includes(true), 'healthy');
    last().push(insert('t1', 'keynote', 1));
    last().push(insert('t2', 'keynote', 2));
    last().push({ _id: 't3', fullDocument: { stream: 'keynote' } }); // no seq: not a change of ours
    last().push(insert('t4', 'panel', 7));
    await until(() => rings.length === 3, 'three rings');
    assert.deepEqual(rings, [
      ['keynote', 1],
      ['keynote', 2],
      ['panel', 7],
    ]);
  } finally {
    await doorbell.stop();
  }
  assert.deepEqual(health, [true, false]);
});

test('after a change stream error the relay resumes after the last change it rang, so none falls between', async () => {
  const { doorbell, feeds, rings, health, last } = relay();
  try {
    await until(() => health.includes(true), 'healthy');
    last().push(insert('t1', 'keynote', 1));
    last().push(serverError(6)); // HostUnreachable: the primary stepped down, say
    await until(() => feeds.length === 2, 'reopened');
    assert.equal(feeds[1]!.openedAfter, 't1');
    assert.equal(feeds[0]!.closed, true);
    feeds[1]!.push(insert('t2', 'keynote', 2));
    await until(() => rings.length === 2, 'the change after the error');
    assert.deepEqual(rings, [
      ['keynote', 1],
      ['keynote', 2],
    ]);
    // Unhealthy while it was down (catch-up ran fast meanwhile), healthy again once reopened.
    await until(() => health.length >= 3, 'healthy again');
    assert.deepEqual(health.slice(0, 3), [true, false, true]);
  } finally {
    await doorbell.stop();
  }
});

test('a resume token the server no longer knows makes the relay watch afresh and let catch-up find the lost stretch', async () => {
  const { doorbell, feeds, health, last } = relay();
  try {
    await until(() => health.includes(true), 'healthy');
    last().push(insert('t1', 'keynote', 1));
    last().push(serverError(6));
    await until(() => feeds.length === 2, 'resumed');
    assert.equal(feeds[1]!.openedAfter, 't1');
    await until(() => health.length === 3, 'healthy after resuming');
    // The oplog rolled past t1 (ChangeStreamHistoryLost).
    feeds[1]!.push(serverError(286));
    await until(() => feeds.length === 3, 'watching afresh');
    assert.equal(feeds[2]!.openedAfter, undefined);
    // It said it could not vouch meanwhile: the catch-up loop runs fast rounds until it can.
    await until(() => health.at(-1) === true && health.length >= 5, 'healthy once more');
    assert.deepEqual(health.slice(0, 5), [true, false, true, false, true]);
  } finally {
    await doorbell.stop();
  }
});

test('a relay whose stream stops answering stops vouching, so catch-up takes over', async () => {
  let feed: FakeFeed | undefined;
  const hanging = new ChangeStreamDoorbell(
    () => {
      feed = new FakeFeed(undefined);
      let first = true;
      feed.tryNext = async () => {
        if (first) {
          first = false;
          return null;
        }
        return new Promise<null>(() => {}); // the server never answers again
      };
      feed.close = async () => {};
      return feed;
    },
    logger,
    { staleMs: 100 },
  );
  const health: boolean[] = [];
  hanging.start(
    () => {},
    (healthy) => health.push(healthy),
  );
  try {
    await until(() => health.length === 2, 'unhealthy');
    assert.deepEqual(health, [true, false]);
  } finally {
    void hanging.stop(); // its tail never returns: nothing to await
  }
});

function fakeDb(answers: Record<string, object>): Db {
  return { command: async (command: object) => answers[Object.keys(command)[0]!] ?? {} } as unknown as Db;
}

test('LIVELOG_RELAY=changestream is refused at start on FerretDB and on a standalone MongoDB, in words that say what to use', async () => {
  await assert.rejects(
    assertChangeStreams(fakeDb({ buildInfo: { version: '7.0.77', ferretdbVersion: 'v1.24.2' }, hello: {} })),
    /needs a MongoDB replica set.*FerretDB.*LIVELOG_RELAY=mongo/,
  );
  await assert.rejects(assertChangeStreams(fakeDb({ buildInfo: { version: '7.0.2' }, hello: { isWritablePrimary: true } })), /standalone.*LIVELOG_RELAY=mongo/);
  await assertChangeStreams(fakeDb({ buildInfo: { version: '7.0.2' }, hello: { setName: 'rs0' } }));
});
