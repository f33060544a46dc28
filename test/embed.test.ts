import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../server/config.ts';
import { AUTHOR_PASSWORD, testApp, type TestApp } from './helpers.ts';
import { loggedIn } from './browser.ts';

// Only the embed may be framed, by the origins LIVELOG_EMBED_ORIGINS names; every other page keeps
// refusing to be framed (clickjacking).

let any: TestApp;
let listed: TestApp;
before(async () => {
  any = await testApp();
  listed = await testApp({ LIVELOG_EMBED_ORIGINS: 'https://news.example.org  http://127.0.0.1:3601' });
});
after(async () => {
  await any.close();
  await listed.close();
});

const frameAncestors = (csp: unknown) => /frame-ancestors ([^;]*)/.exec(String(csp))?.[1];

test('the embed may be framed by any site by default, with no X-Frame-Options, and carries no author tools', async () => {
  const post = await any.app.inject({
    method: 'POST',
    url: `/api/streams/${any.slug}/posts`,
    headers: { authorization: `Bearer ${any.token}` },
    payload: { body: 'Lift-off <script>alert(1)</script>' },
  });
  assert.equal(post.statusCode, 201);
  const embed = await any.app.inject({ url: `/s/${any.slug}/embed` });
  assert.equal(embed.statusCode, 200);
  assert.equal(frameAncestors(embed.headers['content-security-policy']), '*');
  assert.equal(embed.headers['x-frame-options'], undefined);
  assert.match(embed.body, /Lift-off/);
  assert.doesNotMatch(embed.body, /<script>alert/);
  assert.match(embed.body, /<base target="_top">/);
  assert.doesNotMatch(embed.body, /author-tools|site-nav|_csrf/);
  assert.match(embed.body, /src="\/assets\/live-[A-Z0-9]+\.js"/, 'the embed runs the hashed page script');
});

test("the snippet's host script may be loaded by other sites; the page script may not", async () => {
  const host = await any.app.inject({ url: '/assets/embed.js' });
  assert.equal(host.statusCode, 200);
  assert.equal(host.headers['cross-origin-resource-policy'], 'cross-origin');
  const live = await any.app.inject({ url: '/assets/live.js' });
  assert.equal(live.headers['cross-origin-resource-policy'], 'same-origin');
});

test('every other page still forbids framing', async () => {
  for (const url of ['/', `/s/${any.slug}`, '/login']) {
    const page = await any.app.inject({ url });
    assert.equal(page.headers['x-frame-options'], 'SAMEORIGIN', url);
    assert.equal(frameAncestors(page.headers['content-security-policy']), "'self'", url);
  }
});

test('LIVELOG_EMBED_ORIGINS names the sites that may frame the embed, and only the embed', async () => {
  const embed = await listed.app.inject({ url: `/s/${listed.slug}/embed` });
  assert.equal(frameAncestors(embed.headers['content-security-policy']), 'https://news.example.org http://127.0.0.1:3601');
  assert.equal(embed.headers['x-frame-options'], undefined);
  const page = await listed.app.inject({ url: `/s/${listed.slug}` });
  assert.equal(frameAncestors(page.headers['content-security-policy']), "'self'");
});

test('an unknown stream has no embed (404), and a bad origin list stops the start naming the setting', async () => {
  const missing = await any.app.inject({ url: '/s/no-such-stream/embed' });
  assert.equal(missing.statusCode, 404);
  for (const bad of ["https://a.example; script-src 'unsafe-inline'", 'https://a.example,https://b.example', 'javascript:alert(1)']) {
    assert.throws(() => loadConfig({ LIVELOG_EMBED_ORIGINS: bad }), /LIVELOG_EMBED_ORIGINS/, bad);
  }
  assert.equal(loadConfig({}).LIVELOG_EMBED_ORIGINS, '*');
});

test("the author's page offers the embed snippet, its title escaped for the snippet", async () => {
  const author = await loggedIn(any.app, any.author.name, AUTHOR_PASSWORD);
  const page = await author.request('GET', `/s/${any.slug}`);
  assert.equal(page.statusCode, 200);
  assert.match(page.body, /<summary>Embed this stream<\/summary>/);
  assert.match(page.body, new RegExp(`<iframe src="/s/${any.slug}/embed" title="The launch \\(live\\)"`));
  assert.match(page.body, /<script src="\/assets\/embed\.js" async><\/script><\/textarea>/);
  const reader = await any.app.inject({ url: `/s/${any.slug}` });
  assert.doesNotMatch(reader.body, /Embed this stream/);
});
