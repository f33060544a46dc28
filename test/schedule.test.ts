import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../server/app.ts';
import { loadConfig } from '../server/config.ts';
import { addAuthor, AUTHOR_PASSWORD, databaseUrl, testApp, type TestApp } from './helpers.ts';
import { Browser, loggedIn } from './browser.ts';
import { websocketViewer } from './viewer.ts';

// Scheduled posts against a real database: published at their time exactly once, whether the
// instance that took them restarted meanwhile or two instances' schedulers both try.

let t: TestApp;
const env = { LIVELOG_RELAY: 'mongo', LIVELOG_CATCHUP_MS: '100' };
const config = () => loadConfig({ MONGODB_URL: databaseUrl(), LIVELOG_DB: t.database.db.databaseName, LOG_LEVEL: 'silent', LIVELOG_CHANGES_PER_MINUTE: '100000', ...env });
const started: FastifyInstance[] = [];
async function instance(): Promise<FastifyInstance> {
  const app = await buildApp({ config: config(), database: t.database, logger: pino({ level: 'silent' }) });
  started.push(app);
  return app;
}

before(async () => {
  t = await testApp(env);
  // Only the instances each test starts run a scheduler: the restart test has none but its own.
  await t.app.close();
});
// Each test's instances stop with it: no scheduler of one test publishes another's posts.
afterEach(async () => {
  for (const app of started.splice(0)) await app.close().catch(() => {});
});
after(async () => {
  await t.close();
});

const api = (app: FastifyInstance, method: 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT', url: string, payload?: object) =>
  app.inject({ method, url: `/api/streams/${t.slug}${url}`, headers: { authorization: `Bearer ${t.token}` }, payload });
const inSeconds = (s: number) => new Date(Date.now() + s * 1000).toISOString();
const publications = (id: string) => t.database.collection('changes').countDocuments({ stream: t.slug, type: 'publish', postId: id });

async function until(check: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('a scheduled post is answered 202, stays out of sight until its time, then is published once', async () => {
  const app = await instance();
  const viewer = await (async () => {
    await app.listen({ port: 0, host: '127.0.0.1' });
    return websocketViewer(`127.0.0.1:${(app.server.address() as { port: number }).port}`, t.slug, '0');
  })();
  const response = await api(app, 'POST', '/posts', { body: 'Embargo lifted: the results', publishAt: inSeconds(1.5) });
  assert.equal(response.statusCode, 202, response.body);
  const { id, status } = response.json();
  assert.equal(status, 'scheduled');
  const before = await app.inject({ method: 'GET', url: `/api/streams/${t.slug}/posts?since=0` });
  assert.doesNotMatch(before.body, /Embargo lifted/);
  assert.equal((await api(app, 'GET', '/scheduled')).json().scheduled[0].id, id);
  await until(async () => (await publications(id)) === 1);
  await viewer.waitFor((f) => f.some((x) => x.t === 'post' && x.id === id));
  viewer.close();
  assert.equal((await api(app, 'GET', '/scheduled')).json().scheduled.length, 0);
  await until(async () => (await t.database.collection('schedule').countDocuments({ postId: id })) === 0); // its hint is gone
});

test('a scheduled post is published once, at its time, though the instance that took it restarted before then', async () => {
  const first = await instance();
  const { id } = (await api(first, 'POST', '/posts', { body: 'After the restart', publishAt: inSeconds(1.5) })).json();
  await first.close();
  const second = await instance();
  await until(async () => (await publications(id)) === 1);
  const posts = (await second.inject({ method: 'GET', url: `/api/streams/${t.slug}/posts?since=0` })).json().posts;
  assert.equal(posts.filter((p: { id: string }) => p.id === id).length, 1);
});

test('two instances whose schedulers both try publish a scheduled post once', async () => {
  const [a, b] = [await instance(), await instance()];
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) ids.push((await api(i % 2 ? a : b, 'POST', '/posts', { body: `Timed update ${i}`, publishAt: inSeconds(1) })).json().id);
  for (const id of ids) await until(async () => (await publications(id)) === 1);
  // Both ran rounds past the time: still one each.
  await Promise.all([a, b].map((app) => until(async () => (await api(app, 'GET', '/scheduled')).json().scheduled.length === 0)));
  for (const id of ids) assert.equal(await publications(id), 1);
});

test('authors change or cancel what is scheduled; a time in the past, too far ahead or malformed is refused', async () => {
  const app = await instance();
  const { id } = (await api(app, 'POST', '/posts', { body: 'Draft for tonight', publishAt: inSeconds(3600) })).json();
  const edited = await api(app, 'PATCH', `/scheduled/${id}`, { body: 'Final text for tonight', publishAt: inSeconds(7200) });
  assert.equal(edited.statusCode, 202, edited.body);
  const listed = (await api(app, 'GET', '/scheduled')).json().scheduled.find((s: { id: string }) => s.id === id);
  assert.equal(listed.body, 'Final text for tonight');
  assert.equal((await api(app, 'DELETE', `/scheduled/${id}`)).json().status, 'cancelled');
  assert.equal((await api(app, 'GET', '/scheduled')).json().scheduled.length, 0);
  assert.equal((await api(app, 'DELETE', `/scheduled/${id}`)).statusCode, 404);
  for (const publishAt of [inSeconds(-60), inSeconds(91 * 24 * 3600), 'tomorrow', '2026-13-45T99:99:00Z']) {
    const refused = await api(app, 'POST', '/posts', { body: 'When?', publishAt });
    assert.equal(refused.statusCode, 400, publishAt);
  }
});

test('an author schedules from the page without JavaScript, sees it in the Scheduled list, and cancels it; readers never see it', async () => {
  const app = await instance();
  const author = await loggedIn(app, t.author.name, AUTHOR_PASSWORD);
  const page = await author.request('GET', `/s/${t.slug}`);
  const csrf = Browser.field(page.body, '_csrf');
  const at = inSeconds(3600).slice(0, 16); // the form's datetime-local: UTC
  const scheduled = await author.request('POST', `/s/${t.slug}/posts`, { _csrf: csrf, key: 'page-schedule-key-1', body: 'Kick-off in an hour', publishAt: at });
  assert.equal(scheduled.statusCode, 303, scheduled.body);
  const mine = await author.request('GET', `/s/${t.slug}`);
  assert.match(mine.body, /Scheduled <span class="review-count">\(1\)<\/span>/);
  assert.match(mine.body, /Kick-off in an hour/);
  assert.doesNotMatch((await app.inject({ method: 'GET', url: `/s/${t.slug}` })).body, /Kick-off in an hour/);
  const id = /id="scheduled-([0-9a-f-]{36})"/.exec(mine.body)![1]!;
  const cancelKey = new RegExp(`/s/${t.slug}/scheduled/${id}/cancel[\\s\\S]*?name="key" value="([^"]+)"`).exec(mine.body)![1]!;
  const cancelled = await author.request('POST', `/s/${t.slug}/scheduled/${id}/cancel`, { _csrf: csrf, key: cancelKey });
  assert.equal(cancelled.statusCode, 303);
  assert.doesNotMatch((await author.request('GET', `/s/${t.slug}`)).body, /Kick-off in an hour/);
});

test('a stream announces its start on its page until its first post', async () => {
  const app = await instance();
  await app.livelog.streams.create('kick-off', 'Kick-off', t.author._id);
  await addAuthor(app, 'kick-off', t.author);
  const call = (method: 'PUT' | 'POST', url: string, payload: object) =>
    app.inject({ method, url: `/api/streams/kick-off${url}`, headers: { authorization: `Bearer ${t.token}` }, payload });
  const startsAt = inSeconds(7200);
  const announced = await call('PUT', '/start', { startsAt });
  assert.equal(announced.statusCode, 200, announced.body);
  assert.equal(announced.json().startsAt, new Date(startsAt).toISOString());
  const page = async () => (await app.inject({ method: 'GET', url: '/s/kick-off' })).body;
  assert.match(await page(), new RegExp(`Starts <time class="starts-at-time" datetime="${new Date(startsAt).toISOString()}"`));
  assert.equal((await call('PUT', '/start', { startsAt: 'soon' })).statusCode, 400);
  assert.equal((await call('POST', '/posts', { body: 'We are under way' })).statusCode, 201);
  assert.doesNotMatch(await page(), /class="starts-at"/);
  assert.equal((await call('PUT', '/start', { startsAt: null })).json().startsAt, null);
});
