import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { MongoChangeStore } from '../server/log/mongo-store.ts';
import { loadStreamProjection } from '../server/log/projection.ts';
import { publishPost } from '../server/log/commands.ts';
import type { StreamRecord } from '../server/log/records.ts';
import { testApp, type TestApp } from './helpers.ts';
import { websocketViewer } from './viewer.ts';

// Many streams cost little: projections are bounded and dropped when idle, the catch-up loop
// probes only watched streams, and pages waiting for a seq never hold up an author.

const CAP = 100;
const IDLE_MS = 3000;
const CATCHUP_MS = 50;
let t: TestApp;
let base: string;
before(async () => {
  t = await testApp({ LIVELOG_MAX_OPEN_STREAMS: String(CAP), LIVELOG_STREAM_IDLE_MS: String(IDLE_MS), LIVELOG_CATCHUP_MS: String(CATCHUP_MS) });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  base = `127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
});
after(() => t.close());

const projections = () => t.app.livelog.projections;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const actor = () => ({ id: t.author._id, name: t.author.name, admin: false });
const publish = (body: string) =>
  t.app.inject({ method: 'POST', url: `/api/streams/${t.slug}/posts`, headers: { authorization: `Bearer ${t.token}` }, payload: { body } });
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function createStreams(prefix: string, count: number): Promise<string[]> {
  const slugs = Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
  const now = new Date();
  const records: StreamRecord[] = slugs.map((slug) => ({ _id: slug, title: slug, description: '', epoch: 'e1', createdBy: t.author._id, createdAt: now }));
  await t.database.collection<StreamRecord>('streams').insertMany(records);
  return slugs;
}

test('concurrent first requests for a stream share one load', async () => {
  const [slug] = await createStreams('burst', 1);
  const loaded = await Promise.all(Array.from({ length: 50 }, () => projections().get(slug!)));
  assert.equal(new Set(loaded).size, 1);
});

test('2,000 streams each opened once leave a bounded number of projections, a catch-up loop that probes nothing, and bounded memory', async () => {
  const viewer = await websocketViewer(base, t.slug, '0');
  const watched = (await projections().get(t.slug))!;
  const slugs = await createStreams('crowd', 2000);
  let rss = 0;
  for (let i = 0; i < slugs.length; i += 8) {
    const responses = await Promise.all(slugs.slice(i, i + 8).map((slug) => t.app.inject({ url: `/s/${slug}`, headers: { accept: 'text/html' } })));
    for (const response of responses) assert.equal(response.statusCode, 200);
    assert.ok(projections().open <= CAP + 8, `${projections().open} open`);
    if (i === slugs.length / 2) rss = process.memoryUsage().rss; // after the heap's warm-up
  }
  assert.ok(projections().open <= CAP, `${projections().open} open`);
  // A coarse check that memory does not run away (the open count above is the real bound: these
  // streams are empty, so even unbounded projections would cost little; GC timing on a loaded
  // machine moves RSS by tens of MiB).
  const grown = (process.memoryUsage().rss - rss) / 2 ** 20;
  assert.ok(grown < 128, `RSS grew by ${grown.toFixed(0)} MiB over the second 1,000 streams`);

  // The watched stream stayed (its viewer still gets changes), and it is what the loop probes.
  assert.equal(await projections().get(t.slug), watched);
  await publish('still live after 2,000 other streams');
  await viewer.waitFor((frames) => frames.some((f) => f.html?.includes('still live after 2,000')));
  let probes = projections().catchUpProbes;
  await sleep(10 * CATCHUP_MS);
  assert.ok(projections().catchUpProbes - probes >= 3, 'a watched stream is probed');
  viewer.close();
  await sleep(2 * CATCHUP_MS);

  probes = projections().catchUpProbes;
  await sleep(10 * CATCHUP_MS);
  assert.equal(projections().catchUpProbes - probes, 0, 'nobody watches: the idle loop probes nothing');
});

test('streams nobody watches are dropped from memory once idle', async () => {
  await sleep(IDLE_MS + 4 * CATCHUP_MS);
  assert.equal(projections().open, 0);
});

test('a stream nobody watches shows what another process appended when it is next viewed, loaded or not', async () => {
  const [slug] = await createStreams('elsewhere', 1);
  assert.equal((await t.app.inject({ url: `/s/${slug}` })).statusCode, 200); // loaded, not watched
  const other = (await loadStreamProjection(new MongoChangeStore(t.database), slug!))!;
  await publishPost(other, { actor: { ...actor(), admin: true }, body: 'appended by another process', key: 'elsewhere-1' });
  await sleep(2 * CATCHUP_MS);
  assert.match((await t.app.inject({ url: `/s/${slug}` })).body, /appended by another process/);

  await sleep(IDLE_MS + 4 * CATCHUP_MS); // dropped from memory
  await publishPost(other, { actor: { ...actor(), admin: true }, body: 'appended while dropped', key: 'elsewhere-2' });
  assert.match((await t.app.inject({ url: `/s/${slug}` })).body, /appended while dropped/);
});

test('200 pages waiting for a seq that never comes do not hold up an author', async () => {
  const timedPublish = async () => {
    const started = performance.now();
    assert.equal((await publish('timed')).statusCode, 201);
    return performance.now() - started;
  };
  const quiet: number[] = [];
  for (let i = 0; i < 7; i++) quiet.push(await timedPublish());
  const head = (await projections().get(t.slug))!.head;
  const flood = Array.from({ length: 200 }, () => t.app.inject({ url: `/s/${t.slug}?at=${head + 1_000_000}` }));
  await sleep(300); // every page is now waiting
  const flooded: number[] = [];
  for (let i = 0; i < 7; i++) flooded.push(await timedPublish());
  const responses = await Promise.all(flood);
  assert.ok(responses.every((r) => r.statusCode === 200), 'each waiting page renders after its wait');
  assert.ok(median(flooded) < median(quiet) + 50, `publish median ${median(flooded).toFixed(1)} ms during the flood, ${median(quiet).toFixed(1)} ms without`);
});
