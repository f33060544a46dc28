import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../server/app.ts';
import { loadConfig } from '../server/config.ts';
import { databaseUrl, testApp, type TestApp } from './helpers.ts';
import { websocketViewer } from './viewer.ts';

// Several Livelog instances on one database with LIVELOG_RELAY=mongo.

let t: TestApp;
const instances: { app: FastifyInstance; base: string }[] = [];
before(async () => {
  // The catch-up loop slowed to a minute: what arrives within a second came by doorbell.
  const env = { LIVELOG_RELAY: 'mongo', LIVELOG_CATCHUP_MS: '60000', LIVELOG_PRESENCE_MS: '200' };
  t = await testApp(env);
  const config = loadConfig({ MONGODB_URL: databaseUrl(), LIVELOG_DB: t.database.db.databaseName, LOG_LEVEL: 'silent', ...env });
  const other = await buildApp({ config, database: t.database, logger: pino({ level: 'silent' }) });
  for (const app of [t.app, other]) {
    await app.listen({ port: 0, host: '127.0.0.1' });
    instances.push({ app, base: `127.0.0.1:${(app.server.address() as { port: number }).port}` });
  }
});
after(async () => {
  await instances[1]?.app.close();
  await t.close();
});

const publish = (app: FastifyInstance, body: string, key?: string) =>
  app.inject({
    method: 'POST',
    url: `/api/streams/${t.slug}/posts`,
    headers: { authorization: `Bearer ${t.token}`, ...(key ? { 'idempotency-key': key } : {}) },
    payload: { body },
  });

test('a post accepted by instance A reaches a viewer of instance B within a second, by doorbell', async () => {
  const [a, b] = instances;
  const viewer = await websocketViewer(b!.base, t.slug, '0');
  await viewer.waitFor((f) => f.some((x) => x.t === 'hello'));
  await new Promise((r) => setTimeout(r, 300)); // both instances are tailing the doorbell
  const started = Date.now();
  const { seq } = (await publish(a!.app, 'rung across instances')).json();
  await viewer.waitFor((f) => f.some((x) => x.seq === seq), 3000);
  assert.ok(Date.now() - started < 1000, `arrived after ${Date.now() - started} ms`);
  viewer.close();
});

test('the same idempotency key sent to two instances publishes one post', async () => {
  const [a, b] = instances;
  const [first, second] = await Promise.all([
    publish(a!.app, 'sent twice by a retrying device', 'device-7-reading-1'),
    publish(b!.app, 'sent twice by a retrying device', 'device-7-reading-1'),
  ]);
  assert.equal(first.statusCode, 201);
  assert.equal(second.statusCode, 201);
  assert.equal(first.json().id, second.json().id);
  assert.equal(await t.database.collection('changes').countDocuments({ key: `${t.author._id}/device-7-reading-1` }), 1);
});

test('viewer counts add up across instances', async () => {
  const [a, b] = instances;
  const viewers = [
    await websocketViewer(a!.base, t.slug),
    await websocketViewer(a!.base, t.slug),
    await websocketViewer(b!.base, t.slug),
  ];
  for (const viewer of viewers) await viewer.waitFor((f) => f.some((x) => x.t === 'viewers' && x.n === 3), 5000);
  viewers[2]!.close();
  await viewers[0]!.waitFor((f) => f.at(-1)?.t === 'viewers' && f.at(-1)?.n === 2, 5000);
  for (const viewer of viewers.slice(0, 2)) viewer.close();
});

test('viewer counts drop the viewers of an instance that died, and its stale count is removed from the database', async () => {
  const [a] = instances;
  const config = loadConfig({ MONGODB_URL: databaseUrl(), LIVELOG_DB: t.database.db.databaseName, LOG_LEVEL: 'silent', LIVELOG_RELAY: 'mongo', LIVELOG_PRESENCE_MS: '200' });
  const doomed = await buildApp({ config, database: t.database, logger: pino({ level: 'silent' }) });
  await doomed.listen({ port: 0, host: '127.0.0.1' });
  const doomedBase = `127.0.0.1:${(doomed.server.address() as { port: number }).port}`;
  const presence = t.database.collection('presence');
  const documents = await presence.countDocuments();
  const viewer = await websocketViewer(a!.base, t.slug);
  const theirs = [await websocketViewer(doomedBase, t.slug), await websocketViewer(doomedBase, t.slug)];
  await viewer.waitFor((f) => f.some((x) => x.t === 'viewers' && x.n === 3), 5000);
  // Its rounds stop as a killed process's would: nothing removes its count but the others.
  await doomed.close();
  for (const v of theirs) v.close();
  await viewer.waitFor((f) => f.at(-1)?.t === 'viewers' && f.at(-1)?.n === 1, 5000);
  for (const deadline = Date.now() + 5000; (await presence.countDocuments()) > documents; ) {
    assert.ok(Date.now() < deadline, 'the dead instance\'s presence document is still there');
    await new Promise((r) => setTimeout(r, 50));
  }
  viewer.close();
});
