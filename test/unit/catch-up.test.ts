import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { CatchUpSchedule } from '../../server/log/catch-up-schedule.ts';
import { CatchUpLoop, PROBE_BATCH } from '../../server/log/catch-up-loop.ts';
import { publishPost } from '../../server/log/commands.ts';
import { MemoryChangeStore } from '../../server/log/memory-store.ts';
import { StreamProjection } from '../../server/log/projection.ts';
import type { StreamRecord } from '../../server/log/records.ts';

// The catch-up loop's pace (a safety net while the doorbell vouches for every ring, fast otherwise)
// and its probes (one query per round for every watched stream, a catch-up only where there is news).

const FAST = 250;
const SAFETY = 5000;
const SPELL = 1000; // fast rounds after a recovery or a gap: max(4 × FAST, 1 s)

test('the catch-up pace: fast until the doorbell vouches, a safety net while it does, fast again when it fails', () => {
  const schedule = new CatchUpSchedule({ fastMs: FAST, safetyMs: SAFETY });
  assert.equal(schedule.delay(0), FAST, 'an unproven doorbell vouches for nothing');
  schedule.doorbell(true, 10_000);
  assert.equal(schedule.delay(10_000), FAST, 'rings sent while it was down are lost: a few fast rounds');
  assert.equal(schedule.delay(10_000 + SPELL - 1), FAST);
  assert.equal(schedule.delay(10_000 + SPELL), SAFETY);
  schedule.doorbell(true, 20_000);
  assert.equal(schedule.delay(20_000), SAFETY, 'still healthy is no recovery');
  schedule.doorbell(false, 30_000);
  assert.equal(schedule.delay(30_000), FAST);
  assert.equal(schedule.delay(90_000), FAST, 'fast for as long as it is down');
});

test('the catch-up pace: a gap in the rings makes a fast spell; a safety interval below the fast one is the fast one', () => {
  const schedule = new CatchUpSchedule({ fastMs: FAST, safetyMs: SAFETY });
  schedule.doorbell(true, 0);
  schedule.gapSeen(50_000);
  assert.equal(schedule.delay(50_000 + SPELL - 1), FAST);
  assert.equal(schedule.delay(50_000 + SPELL), SAFETY);
  const inverted = new CatchUpSchedule({ fastMs: 300, safetyMs: 100 });
  inverted.doorbell(true, 0);
  assert.equal(inverted.delay(10_000), 300);
});

const admin = { id: 'u1', name: 'Ada', admin: true };
const streamRecord = (slug: string): StreamRecord => ({ _id: slug, title: slug, description: '', epoch: 'e1', createdBy: 'u1', createdAt: new Date(0) });

/** A store that counts probes and point lookups per stream. */
class CountingStore extends MemoryChangeStore {
  probes: string[][] = [];
  lookups = new Map<string, number>();
  override async present(ids: readonly string[]): Promise<Set<string>> {
    this.probes.push([...ids]);
    return super.present(ids);
  }
  override async at(stream: string, seq: number) {
    this.lookups.set(stream, (this.lookups.get(stream) ?? 0) + 1);
    return super.at(stream, seq);
  }
}

async function watching(store: CountingStore, slugs: string[]): Promise<{ loop: CatchUpLoop; projections: StreamProjection[] }> {
  const projections: StreamProjection[] = [];
  for (const slug of slugs) {
    await store.insertStream(streamRecord(slug));
    const projection = new StreamProjection(streamRecord(slug), store);
    await projection.load();
    projections.push(projection);
  }
  const watched = { isWatched: () => true, watchedProjections: () => projections };
  const round = { beforeRound() {}, present: (ids: readonly string[]) => store.present(ids), probed() {} };
  const loop = new CatchUpLoop(watched, new CatchUpSchedule({ fastMs: FAST, safetyMs: SAFETY }), round, pino({ level: 'silent' }));
  store.probes = [];
  store.lookups.clear();
  return { loop, projections };
}

test('one round probes every watched stream in one query and catches up only the one with news', async () => {
  const store = new CountingStore();
  const { loop, projections } = await watching(store, ['quiet', 'busy', 'also-quiet']);
  const elsewhere = new StreamProjection(streamRecord('busy'), store); // another process
  await elsewhere.load();
  await publishPost(elsewhere, { actor: admin, body: 'from another process', key: 'k1' });
  await publishPost(elsewhere, { actor: admin, body: 'and another', key: 'k2' });
  store.lookups.clear();

  await loop.run();
  assert.deepEqual(store.probes, [['quiet:000000000001', 'busy:000000000001', 'also-quiet:000000000001']]);
  assert.equal(projections[1]!.head, 2);
  assert.equal(store.lookups.get('quiet'), undefined, 'nothing new: no lookup of its own');
  assert.equal(store.lookups.get('also-quiet'), undefined);
  assert.equal(loop.queries, 1);
  assert.equal(loop.probes, 3);
});

test(`more watched streams than one batch (${PROBE_BATCH}) take one query per batch`, async () => {
  const store = new CountingStore();
  const slugs = Array.from({ length: PROBE_BATCH + 1 }, (_, i) => `s${i}`);
  const { loop } = await watching(store, slugs);
  await loop.run();
  assert.deepEqual(store.probes.map((ids) => ids.length), [PROBE_BATCH, 1]);
  assert.equal(store.lookups.size, 0);
});
