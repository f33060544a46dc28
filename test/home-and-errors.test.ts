import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { AUTHOR_PASSWORD, testApp, type TestApp } from './helpers.ts';
import { loggedIn } from './browser.ts';

let t: TestApp;
before(async () => (t = await testApp()));
after(() => t.close());

const html = { accept: 'text/html,application/xhtml+xml' };

async function post(body: string): Promise<void> {
  const response = await t.app.inject({ method: 'POST', url: `/api/streams/${t.slug}/posts`, headers: { authorization: `Bearer ${t.token}` }, payload: { body } });
  assert.equal(response.statusCode, 201);
}

test('the home page lists each stream with its status, its last update and how many updates it has', async () => {
  await t.app.livelog.streams.create('quiet-one', 'Nothing yet', t.author._id);
  await post('Lift-off');
  await post('Stage separation');
  const page = await t.app.inject({ url: '/', headers: html });
  assert.equal(page.statusCode, 200);
  const launch = itemOf(page.body, t.slug);
  assert.match(launch, /class="live-badge">Live</);
  assert.match(launch, /Last update <time datetime="\d{4}-\d\d-\d\dT[\d:.]+Z">/);
  assert.match(launch, /2 updates/);
  assert.match(itemOf(page.body, 'quiet-one'), /No updates yet/);

  const ended = await t.app.inject({ method: 'PUT', url: `/api/streams/${t.slug}/status`, headers: { authorization: `Bearer ${t.token}`, 'idempotency-key': 'end-the-stream-1' }, payload: { status: 'ended' } });
  assert.ok(ended.statusCode < 300, ended.body);
  assert.match(itemOf((await t.app.inject({ url: '/', headers: html })).body, t.slug), /class="status-ended">Ended</);
});

test('error pages speak plainly to browsers and lead back; JSON clients keep the JSON error', async () => {
  const cases: [string, number, RegExp][] = [
    ['/s/Not_A_Slug!', 400, /stream addresses use only lower-case letters, digits and dashes/],
    ['/s/no-such-stream', 404, /We could not find that stream/],
    ['/nothing/here', 404, /We could not find that page/],
    [`/s/${t.slug}?before=soon`, 400, /setting we do not understand/],
  ];
  for (const [url, status, words] of cases) {
    const page = await t.app.inject({ url, headers: html });
    assert.equal(page.statusCode, status, url);
    assert.match(page.headers['content-type'] as string, /text\/html/);
    assert.match(page.body, words, url);
    assert.doesNotMatch(page.body, /must match|params\/|querystring\//, url);
    assert.match(page.body, /href="\/">See all live streams</, url);
    assert.match(page.body, /class="skip-link" href="#main"/);

    const json = await t.app.inject({ url, headers: { accept: 'application/json' } });
    assert.equal(json.statusCode, status);
    const error = json.json();
    assert.equal(error.statusCode, status);
    assert.match(error.code, /^LIVELOG_/);
  }
});

test('a refused form post says why in words, with a way back to the stream', async () => {
  const browser = await loggedIn(t.app, 'reporter', AUTHOR_PASSWORD);
  const page = await browser.request('POST', `/s/${t.slug}/posts`, { _csrf: 'forged', key: 'forged-key-1', body: 'x' });
  assert.equal(page.statusCode, 403);
  assert.match(page.body, /The form had expired or came from another site/);
  assert.match(page.body, new RegExp(`href="/s/${t.slug}">Back to the stream<`));
  assert.doesNotMatch(page.body, /href="\/login">Log in</, 'a signed-in author is not asked to log in');
  const anonymous = await t.app.inject({ url: '/s/no-such-stream', headers: { accept: 'text/html' } });
  assert.match(anonymous.body, /href="\/login">Log in</);
});

test('the favicon answers at /favicon.ico and /favicon.svg, cached for a day', async () => {
  for (const url of ['/favicon.ico', '/favicon.svg']) {
    const response = await t.app.inject({ url });
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['content-type'], 'image/svg+xml');
    assert.match(response.headers['cache-control'] as string, /max-age=86400/);
    assert.match(response.body, /^<svg /);
  }
});

/** The home page's list item for one stream. */
function itemOf(body: string, slug: string): string {
  const start = body.indexOf(`data-stream="${slug}"`);
  assert.ok(start >= 0, `no item for ${slug}`);
  return body.slice(start, body.indexOf('</li>', start));
}

test('the home page reads at most its fifty newest streams, however many of them are private', async () => {
  const now = Date.now();
  const hidden = Array.from({ length: 80 }, (_, i) => ({ _id: `private-${i}`, title: `Private ${i}`, description: '', epoch: 'e1', createdBy: t.author._id, createdAt: new Date(now + i), visibility: 'private' as const }));
  await t.database.collection<(typeof hidden)[number]>('streams').insertMany(hidden);
  const open = t.app.livelog.projections.open;
  const page = await t.app.inject({ url: '/', headers: html });
  assert.ok(t.app.livelog.projections.open - open <= 50, `${t.app.livelog.projections.open - open} streams read for one anonymous page`);
  assert.doesNotMatch(page.body, /Private \d|No streams yet/);
  assert.match(page.body, /And 2 older streams/, 'the public ones past them are still counted');
});
