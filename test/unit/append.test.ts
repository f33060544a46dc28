import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DatabaseUnavailable, KeyReused, PostNotFound, StreamEnded } from '../../server/errors.ts';
import { deletePost, publishPost, setStatus } from '../../server/log/commands.ts';
import { MemoryChangeStore } from '../../server/log/memory-store.ts';
import { StreamProjection } from '../../server/log/projection.ts';
import type { ChangeRecord, StreamRecord } from '../../server/log/records.ts';
import type { InsertOutcome } from '../../server/log/store.ts';
import { changeStoreContract } from '../fixtures/change-store-contract.ts';

// One stream's appends on the in-memory store: two projections on one store stand for two server
// processes on one database, each with its own memory, racing for the next seq.

const stream: StreamRecord = { _id: 'match', title: 'The match', description: '', epoch: 'e1', createdBy: 'u1', createdAt: new Date(0) };
const admin = { id: 'u1', name: 'Ada', admin: true };

async function writers(count: number, store = new MemoryChangeStore()) {
  const projections = [];
  for (let i = 0; i < count; i++) {
    const projection = new StreamProjection(stream, store);
    await projection.load();
    projections.push(projection);
  }
  return { store, projections };
}

changeStoreContract('the in-memory store', async () => new MemoryChangeStore());

test('two writers appending at once on one store leave a gap-free log, each change once', async () => {
  const { store, projections } = await writers(2);
  const appends = projections.flatMap((projection, w) =>
    Array.from({ length: 25 }, (_, i) => publishPost(projection, { actor: admin, body: `post ${i} from ${w}`, key: `writer-${w}-${i}` })),
  );
  const results = await Promise.all(appends);
  const stored = await store.readAll('match');
  assert.deepEqual(
    stored.map((r) => r.seq),
    Array.from({ length: 50 }, (_, i) => i + 1),
  );
  assert.equal(new Set(stored.map((r) => r.key)).size, 50);
  assert.deepEqual(results.map((r) => r.record.seq).sort((a, b) => a - b), stored.map((r) => r.seq));
  for (const projection of projections) await projection.catchUp();
  assert.deepEqual(projections[0]!.page(Infinity), projections[1]!.page(Infinity));
});

test('the same request with the same key from two writers makes one change; the second hears of the first', async () => {
  const { store, projections } = await writers(2);
  const [a, b] = projections as [StreamProjection, StreamProjection];
  const request = { actor: admin, body: 'once', key: 'device-reading-1' };
  const [first, second] = await Promise.all([publishPost(a, request), publishPost(b, request)]);
  assert.equal((await store.readAll('match')).length, 1);
  assert.equal(first.record._id, second.record._id);
  assert.deepEqual([first.replayed, second.replayed].sort(), [false, true]);
  await assert.rejects(publishPost(b, { ...request, body: 'not once' }), KeyReused);
});

test('a change decided on a stale head is decided again on the new one, so no rule is raced past', async () => {
  const { projections } = await writers(2);
  const [a, b] = projections as [StreamProjection, StreamProjection];
  const { record } = await publishPost(a, { actor: admin, body: 'kick-off', key: 'post-1-key' });
  await b.catchUp();
  await deletePost(a, { actor: admin, postId: record.postId!, key: 'delete-a-key' });
  // b has not seen the deletion: its first decision passes, the insert conflicts, and the rule
  // checked again on the newer state refuses.
  await assert.rejects(deletePost(b, { actor: admin, postId: record.postId!, key: 'delete-b-key' }), PostNotFound);
  await setStatus(a, { actor: admin, status: 'ended', key: 'end-a-key' });
  await assert.rejects(publishPost(b, { actor: admin, body: 'too late', key: 'late-b-key' }), StreamEnded);
  assert.equal(b.head, 3);
});

/** A store whose next insert stores the change but loses the answer, like a timeout would. */
class LostAnswerStore extends MemoryChangeStore {
  loseNext = false;
  override async insert(record: ChangeRecord): Promise<InsertOutcome> {
    const outcome = await super.insert(record);
    if (this.loseNext) {
      this.loseNext = false;
      throw new Error('timed out');
    }
    return outcome;
  }
}

test('an append whose outcome is unknown does not move the head; a retry with its key finds the change', async () => {
  const store = new LostAnswerStore();
  const { projections } = await writers(1, store);
  const projection = projections[0]!;
  store.loseNext = true;
  const request = { actor: admin, body: 'did it arrive?', key: 'uncertain-key' };
  await assert.rejects(publishPost(projection, request), DatabaseUnavailable);
  assert.equal(projection.head, 0, 'the head did not move on a guess');
  const retried = await publishPost(projection, request);
  assert.equal(retried.replayed, true);
  assert.equal(retried.record.seq, 1);
  assert.equal((await store.readAll('match')).length, 1);
});
