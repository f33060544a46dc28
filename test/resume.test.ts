import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../server/app.ts';
import { loadConfig } from '../server/config.ts';
import { databaseUrl, testApp, type TestApp } from './helpers.ts';
import { sseViewer, websocketViewer, type TestViewer } from './viewer.ts';

let t: TestApp;
let base: string;
before(async () => {
  t = await testApp();
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  base = `127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
});
after(() => t.close());

const api = (app: FastifyInstance, method: 'POST' | 'PATCH' | 'DELETE', path: string, payload?: object) =>
  app.inject({ method, url: `/api/streams/${t.slug}${path}`, headers: { authorization: `Bearer ${t.token}` }, payload });
const publish = async (body: string, app = t.app) => (await api(app, 'POST', '/posts', { body })).json() as { id: string; seq: number };
const head = async () => (await t.app.inject(`/api/streams/${t.slug}/posts`)).json() as { seq: number; epoch: string };

test('a viewer that reconnects after missed posts, edits and deletes gets each once, in order, compacted', async () => {
  const kept = await publish('kept');
  const doomed = await publish('doomed');
  const { epoch, seq: left } = await head();
  // The viewer is away: three posts, an edit and a delete happen.
  const p1 = await publish('missed 1');
  await publish('missed 2');
  await publish('missed 3');
  await api(t.app, 'PATCH', `/posts/${kept.id}`, { body: 'kept, edited' });
  await api(t.app, 'DELETE', `/posts/${doomed.id}`);
  await api(t.app, 'PATCH', `/posts/${p1.id}`, { body: 'missed 1, edited' });
  const viewer = await websocketViewer(base, t.slug, `${epoch}.${left}`);
  const { seq: now } = await head();
  await viewer.waitFor((f) => f.some((x) => x.seq === now));
  const changes = viewer.changes();
  assert.equal(new Set(changes.map((f) => f.id)).size, changes.length, 'each post once');
  assert.deepEqual(changes.map((f) => f.t), ['post', 'post', 'edit', 'delete', 'edit']);
  assert.ok(changes.every((f, i) => i === 0 || f.seq! > changes[i - 1]!.seq!), 'in seq order');
  assert.doesNotMatch(JSON.stringify(changes), /doomed|>kept<|>missed 1</);

  // Then live, one seq at a time.
  await publish('live after resume');
  await viewer.waitFor((f) => f.some((x) => x.seq === now + 1));
  assert.equal(viewer.changes().at(-1)!.t, 'post');
  viewer.close();
});

test('Server-Sent Events give the same replay and live frames, with EPOCH.SEQ event ids', async () => {
  const { epoch, seq } = await head();
  const sse = await sseViewer(base, t.slug, { since: `${epoch}.${seq - 2}` });
  assert.equal(sse.response.headers.get('content-type'), 'text/event-stream; charset=utf-8');
  await sse.waitFor((f) => f.filter((x) => x.seq !== undefined && x.t !== 'hello').length >= 1);
  assert.equal(sse.frames[0]!.t, 'hello');
  const post = await publish('over SSE');
  await sse.waitFor((f) => f.some((x) => x.seq === post.seq));
  assert.equal(sse.ids.at(-1), `${epoch}.${post.seq}`);
  sse.close();

  // A browser reconnecting sends Last-Event-ID and gets exactly what it missed.
  await publish('missed over SSE');
  const resumed = await sseViewer(base, t.slug, { since: '0', lastEventId: sse.ids.at(-1) });
  await resumed.waitFor((f) => f.some((x) => x.seq === post.seq + 1));
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(resumed.changes().map((f) => f.seq), [post.seq + 1]);
  resumed.close();
});

test('two instances with concurrent authors give every viewer one contiguous order (catch-up alone, no doorbell)', { timeout: 60_000 }, async () => {
  const config = loadConfig({ MONGODB_URL: databaseUrl(), LIVELOG_DB: t.database.db.databaseName, LOG_LEVEL: 'silent', LIVELOG_CATCHUP_MS: '100' });
  const other = await buildApp({ config, database: t.database, logger: pino({ level: 'silent' }) });
  await other.listen({ port: 0, host: '127.0.0.1' });
  const otherBase = `127.0.0.1:${(other.server.address() as { port: number }).port}`;
  try {
    const { epoch, seq: start } = await head();
    const viewers: TestViewer[] = [];
    for (const b of [base, base, otherBase, otherBase]) viewers.push(await websocketViewer(b, t.slug, `${epoch}.${start}`));
    const perAuthor = 15;
    await Promise.all(
      [t.app, other].map(async (app, i) => {
        for (let n = 0; n < perAuthor; n++) await publish(`instance ${i} post ${n}`, app);
      }),
    );
    const end = start + 2 * perAuthor;
    for (const viewer of viewers) await viewer.waitFor((f) => f.some((x) => x.seq === end), 10_000);
    const expected = Array.from({ length: 2 * perAuthor }, (_, i) => start + 1 + i);
    for (const viewer of viewers) assert.deepEqual(viewer.changes().map((f) => f.seq), expected);
    const orders = viewers.map((v) => JSON.stringify(v.changes().map((f) => f.id)));
    assert.equal(new Set(orders).size, 1, 'every viewer saw the same posts in the same order');
    for (const viewer of viewers) viewer.close();
  } finally {
    await other.close();
  }
});
