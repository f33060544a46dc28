import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { buildApp } from '../server/app.ts';
import { loadConfig } from '../server/config.ts';
import { publishPost } from '../server/log/commands.ts';
import { AUTHOR_PASSWORD, databaseUrl, testApp, type TestApp } from './helpers.ts';
import { Browser } from './browser.ts';

let t: TestApp;
before(async () => (t = await testApp()));
after(() => t.close());

test('an author logs in, posts with the plain form and lands on the page showing the post', async () => {
  const browser = new Browser(t.app);
  const login = await browser.logIn('reporter', AUTHOR_PASSWORD, `/s/${t.slug}`);
  assert.equal(login.statusCode, 303);
  assert.equal(login.headers.location, `/s/${t.slug}`);
  const page = await browser.request('GET', `/s/${t.slug}`);
  assert.match(page.body, /Signed in as <strong>reporter<\/strong>/);
  const posted = await browser.request('POST', `/s/${t.slug}/posts`, {
    _csrf: Browser.field(page.body, '_csrf'),
    key: Browser.field(page.body, 'key'),
    body: 'We have **lift-off**',
  });
  assert.equal(posted.statusCode, 303);
  assert.match(String(posted.headers.location), new RegExp(`^/s/${t.slug}\\?at=\\d+#post-`));
  const after = await browser.request('GET', String(posted.headers.location).split('#')[0]!);
  assert.match(after.body, /We have <strong>lift-off<\/strong>/);
  assert.match(after.body, /class="post-author">reporter</);
});

test('a double-submitted form (same key) publishes once', async () => {
  const browser = new Browser(t.app);
  await browser.logIn('reporter', AUTHOR_PASSWORD, `/s/${t.slug}`);
  const page = await browser.request('GET', `/s/${t.slug}`);
  const form = { _csrf: Browser.field(page.body, '_csrf'), key: Browser.field(page.body, 'key'), body: 'only once' };
  const first = await browser.request('POST', `/s/${t.slug}/posts`, form);
  const second = await browser.request('POST', `/s/${t.slug}/posts`, form);
  assert.equal(first.headers.location, second.headers.location);
  assert.equal(await t.database.collection('changes').countDocuments({ 'post.body': 'only once' }), 1);
});

test('a wrong password is refused with a clear message and no session', async () => {
  const browser = new Browser(t.app);
  const response = await browser.logIn('reporter', 'wrong password', `/s/${t.slug}`);
  assert.equal(response.statusCode, 401);
  assert.match(response.body, /Wrong name or password/);
  const page = await browser.request('GET', `/s/${t.slug}`);
  assert.doesNotMatch(page.body, /id="compose"/);
});

test('a form post without a valid CSRF token is refused and stores nothing', async () => {
  const browser = new Browser(t.app);
  await browser.logIn('reporter', AUTHOR_PASSWORD, `/s/${t.slug}`);
  const count = await t.database.collection('changes').countDocuments();
  const response = await browser.request('POST', `/s/${t.slug}/posts`, { _csrf: 'forged', key: 'forged-key-1', body: 'forged' });
  assert.equal(response.statusCode, 403);
  assert.equal(await t.database.collection('changes').countDocuments(), count);
});

test('an anonymous viewer sees posts but no author form, and is sent to log in if they post', async () => {
  const browser = new Browser(t.app);
  const page = await browser.request('GET', `/s/${t.slug}`);
  assert.equal(page.statusCode, 200);
  assert.doesNotMatch(page.body, /id="compose"/);
  assert.match(page.body, /lift-off/);
  assert.equal(page.headers['set-cookie'], undefined, 'viewers get no session');
  assert.match(String(page.headers['content-security-policy']), /script-src 'self'/);
});

test('a missing stream is a 404 page', async () => {
  const response = await new Browser(t.app).request('GET', '/s/nothing-here');
  assert.equal(response.statusCode, 404);
  assert.match(response.body, /We could not find that stream/);
});

test('a late joiner can reach all of 120 earlier posts through "load older" pages', async () => {
  const projection = (await t.app.livelog.projections.get(t.slug))!;
  const actor = { id: t.author._id, name: t.author.name, admin: false };
  for (let i = 1; i <= 120; i++) await publishPost(projection, { actor, body: `numbered post ${i}`, key: `bulk-${i}` });
  const browser = new Browser(t.app);
  const seen = new Set<number>();
  let url: string | null = `/s/${t.slug}`;
  let pages = 0;
  while (url) {
    const page = await browser.request('GET', url);
    for (const match of page.body.matchAll(/numbered post (\d+)</g)) seen.add(Number(match[1]));
    url = /href="([^"]+)" rel="next"/.exec(page.body)?.[1]?.replaceAll('&amp;', '&') ?? null;
    pages++;
  }
  assert.equal(seen.size, 120);
  assert.ok(pages >= 3);
});

test('after a no-JS post served by a lagging instance, the page waits until it shows the post', async () => {
  // Instance B loaded the stream before the post and would not poll for a minute on its own.
  const config = loadConfig({ MONGODB_URL: databaseUrl(), LIVELOG_DB: t.database.db.databaseName, LOG_LEVEL: 'silent', LIVELOG_CATCHUP_MS: '60000' });
  const other = await buildApp({ config, database: t.database, logger: pino({ level: 'silent' }) });
  try {
    const lagging = (await other.livelog.projections.get(t.slug))!;
    const projection = (await t.app.livelog.projections.get(t.slug))!;
    const { record } = await publishPost(projection, { actor: { id: t.author._id, name: t.author.name, admin: false }, body: 'seen on B', key: 'lagging-key' });
    assert.ok(lagging.head < record.seq);
    const page = await other.inject({ url: `/s/${t.slug}?at=${record.seq}`, headers: { accept: 'text/html' } });
    assert.match(page.body, /seen on B/);
  } finally {
    await other.close(); // the app only: the database connection belongs to the first instance
  }
});
