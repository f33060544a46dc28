import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { type CurrentState, StreamFold } from '../../server/log/fold.ts';
import { MemoryChangeStore } from '../../server/log/memory-store.ts';
import { StreamProjection } from '../../server/log/projection.ts';
import { type ChangeRecord, changeId, type PostSnapshot } from '../../server/log/records.ts';

// The fold, checked on random logs: whatever order of posts, edits, pins, deletions, status and
// membership changes, a viewer ends where a fresh load ends, and never holds deleted or old text.

type Operation =
  | { op: 'post' }
  | { op: 'edit'; pick: number }
  | { op: 'delete'; pick: number }
  | { op: 'pin'; pick: number; pinned: boolean }
  | { op: 'status'; ended: boolean }
  | { op: 'member'; who: number; active: boolean };

const operation: fc.Arbitrary<Operation> = fc.oneof(
  fc.constant({ op: 'post' as const }),
  fc.record({ op: fc.constantFrom('edit' as const, 'delete' as const), pick: fc.nat() }),
  fc.record({ op: fc.constant('pin' as const), pick: fc.nat(), pinned: fc.boolean() }),
  fc.record({ op: fc.constant('status' as const), ended: fc.boolean() }),
  fc.record({ op: fc.constant('member' as const), who: fc.nat({ max: 3 }), active: fc.boolean() }),
);

const STREAM = 'match';
const author = { id: 'u1', name: 'Ada' };

/** A valid log for the operations: each version of each post has text no other version has. */
function logOf(operations: Operation[]): ChangeRecord[] {
  const live = new Map<string, PostSnapshot>();
  return operations.map((operation, i) => {
    const seq = i + 1;
    const base = { _id: changeId(STREAM, seq), stream: STREAM, seq, key: `key-${seq}`, fingerprint: `f${seq}`, at: new Date(seq), by: author };
    const ids = [...live.keys()];
    if (operation.op === 'post' || (ids.length === 0 && (operation.op === 'edit' || operation.op === 'delete' || operation.op === 'pin'))) {
      const post: PostSnapshot = { id: `p${seq}`, author, body: `text of version ${seq}`, createdAt: new Date(seq), createdSeq: seq, pinned: false };
      live.set(post.id, post);
      return { ...base, type: 'post', postId: post.id, post };
    }
    if (operation.op === 'status') return { ...base, type: 'status', status: operation.ended ? 'ended' : 'live' };
    if (operation.op === 'member') return { ...base, type: 'member', member: { id: `m${operation.who}`, name: `M${operation.who}` }, active: operation.active };
    const postId = ids[operation.pick % ids.length]!;
    const current = live.get(postId)!;
    if (operation.op === 'delete') {
      live.delete(postId);
      return { ...base, type: 'delete', postId };
    }
    const post = operation.op === 'edit' ? { ...current, body: `text of version ${seq}`, editedAt: new Date(seq) } : { ...current, pinned: operation.pinned };
    live.set(postId, post);
    return { ...base, type: operation.op, postId, post };
  });
}

/** What a viewer shows: the posts it holds (by id), and the stream's status. */
interface Screen {
  posts: Map<string, { body: string; pinned: boolean; seq: number }>;
  status: string;
}

function show(screen: Screen, states: Iterable<CurrentState>): Screen {
  for (const state of states) {
    if (state.kind === 'post') screen.posts.set(state.post.id, { body: state.post.body, pinned: state.post.pinned, seq: state.seq });
    else if (state.kind === 'deleted') screen.posts.delete(state.postId);
    else screen.status = state.status;
  }
  return screen;
}

const emptyScreen = (): Screen => ({ posts: new Map(), status: 'live' });

function foldOf(records: ChangeRecord[]): StreamFold {
  const fold = new StreamFold();
  for (const record of records) fold.apply(record);
  return fold;
}

const logs = fc.array(operation, { minLength: 1, maxLength: 60 }).map(logOf);

test('a viewer that follows every change as it happens shows what a fresh load of the whole log shows', async () => {
  await fc.assert(
    fc.asyncProperty(logs, async (records) => {
      const live = new StreamFold();
      const screen = emptyScreen();
      for (const record of records) {
        const changed = live.apply(record);
        if (changed) show(screen, [changed]);
      }
      const store = new MemoryChangeStore();
      for (const record of records) assert.equal(await store.insert(record), 'stored');
      const loaded = new StreamProjection({ _id: STREAM, title: 'T', description: '', epoch: 'e1', createdBy: 'u1', createdAt: new Date(0) }, store);
      await loaded.load();
      assert.equal(loaded.head, records.length);
      assert.deepEqual(show(emptyScreen(), loaded.changesSince(0)), screen);
      assert.deepEqual(loaded.page(Infinity), live.page(Infinity));
      assert.deepEqual([...loaded.authors], [...live.authors]);
    }),
  );
});

test('the state at any seq k plus the changes since k is the state at the head, with no deleted or pre-edit text', () => {
  fc.assert(
    fc.property(
      logs.chain((records) => fc.tuple(fc.constant(records), fc.nat({ max: records.length }))),
      ([records, k]) => {
        const head = foldOf(records);
        const atK = show(emptyScreen(), foldOf(records.slice(0, k)).changesSince(0));
        const since = head.changesSince(k);
        assert.deepEqual(show(atK, since), show(emptyScreen(), head.changesSince(0)));
        // Compacted: one entry per thing touched, in seq order, each the latest state of it.
        const seqs = since.map((state) => state.seq);
        assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b));
        assert.ok(seqs.every((seq) => seq > k && seq <= head.head));
        for (const state of since) {
          if (state.kind !== 'post') continue;
          const current = head.post(state.post.id);
          assert.ok(current, `post ${state.post.id} is deleted, yet its text is replayed`);
          assert.equal(state.post.body, current.post.body, 'only the latest text of a post is replayed');
        }
      },
    ),
  );
});

test('a page lists live posts pinned first, then newest first, and an older page leaves pinned ones out', () => {
  fc.assert(
    fc.property(logs, fc.nat({ max: 70 }), (records, before) => {
      const fold = foldOf(records);
      const page = fold.page(Infinity);
      assert.equal(page.length, fold.postCount);
      for (let i = 1; i < page.length; i++) {
        const [a, b] = [page[i - 1]!.post, page[i]!.post];
        assert.ok(Number(a.pinned) > Number(b.pinned) || (a.pinned === b.pinned && a.createdSeq > b.createdSeq));
      }
      const older = fold.page(Infinity, before);
      assert.ok(older.every((v) => !v.post.pinned && v.post.createdSeq < before));
    }),
  );
});

test('a change out of seq order is refused: the fold never shows a state the log did not have', () => {
  const [first, second] = logOf([{ op: 'post' }, { op: 'post' }]);
  const fold = new StreamFold();
  assert.throws(() => fold.apply(second!), /out of order/);
  fold.apply(first!);
  assert.throws(() => fold.apply(first!), /out of order/);
  assert.equal(fold.head, 1);
});
