import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { MongoChangeStore } from '../server/log/mongo-store.ts';
import { loadStreamProjection } from '../server/log/projection.ts';
import { publishPost, setAuthor } from '../server/log/commands.ts';
import { Streams } from '../server/log/streams.ts';
import type { LivelogError } from '../server/errors.ts';
import { statusOf } from '../server/http/plugins/errors.ts';
import { testDatabase } from './helpers.ts';

let database: Awaited<ReturnType<typeof testDatabase>>;
const actor = { id: 'u1', name: 'Ada', admin: true };

before(async () => {
  database = await testDatabase();
  await new Streams(new MongoChangeStore(database)).create('match', 'The match', 'u1');
});
after(() => database.drop());

const projectionOf = async () => (await loadStreamProjection(new MongoChangeStore(database), 'match'))!;

test('posts get contiguous seqs and the page shows them newest first', async () => {
  const projection = await projectionOf();
  for (const body of ['kick-off', 'goal!', 'half time']) {
    await publishPost(projection, { actor, body, key: `key-${body}` });
  }
  assert.equal(projection.head, 3);
  assert.deepEqual(projection.page(10).map((v) => v.post.body), ['half time', 'goal!', 'kick-off']);
  assert.deepEqual(projection.changesSince(1).map((v) => v.seq), [2, 3]);
});

test('a process that loads the stream later folds the same state from the database', async () => {
  const fresh = await projectionOf();
  assert.equal(fresh.head, 3);
  assert.deepEqual(fresh.page(10).map((v) => v.post.body), ['half time', 'goal!', 'kick-off']);
});

test('an append on a stale head catches up and takes the next free seq', async () => {
  const stale = await projectionOf();
  const other = await projectionOf();
  await publishPost(other, { actor, body: 'from another process', key: 'key-other' });
  const { record } = await publishPost(stale, { actor, body: 'from the stale one', key: 'key-stale' });
  assert.equal(record.seq, 5);
  assert.equal(stale.head, 5);
  assert.equal(stale.changesSince(3).length, 2, 'the stale projection applied the other change too');
});

test('the same idempotency key publishes once, even from two processes', async () => {
  const a = await projectionOf();
  const b = await projectionOf();
  const first = await publishPost(a, { actor, body: 'once', key: 'key-once' });
  const second = await publishPost(b, { actor, body: 'once', key: 'key-once' });
  assert.equal(second.replayed, true);
  assert.equal(second.record._id, first.record._id);
  assert.equal(await database.collection('changes').countDocuments({ stream: 'match', key: 'u1/key-once' }), 1);
});

test('a reused key with a different text is refused with 409, not silently replayed', async () => {
  const projection = await projectionOf();
  await assert.rejects(
    publishPost(projection, { actor, body: 'not once', key: 'key-once' }),
    (error: Error) => statusOf(error) === 409 && (error as LivelogError).code === 'LIVELOG_KEY_REUSED',
  );
});

test('empty, oversized and NUL-containing posts are refused before the database', async () => {
  const projection = await projectionOf();
  const head = projection.head;
  for (const body of ['   \n ', 'x'.repeat(10_001), 'a\0b']) {
    await assert.rejects(publishPost(projection, { actor, body, key: `bad-${body.length}` }), (e: Error) => statusOf(e) === 400);
  }
  assert.equal(projection.head, head);
});

test('two admins adding different authors at the same moment, from two processes, both take effect', async () => {
  const a = await projectionOf();
  const b = await projectionOf();
  await Promise.all([
    setAuthor(a, { actor, member: { id: 'author-1', name: 'One' }, active: true, key: 'member-1' }),
    setAuthor(b, { actor, member: { id: 'author-2', name: 'Two' }, active: true, key: 'member-2' }),
  ]);
  const fresh = await projectionOf();
  assert.deepEqual([...fresh.authors.keys()].sort(), ['author-1', 'author-2']);
});
