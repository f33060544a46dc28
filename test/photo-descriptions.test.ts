import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { AUTHOR_PASSWORD, testApp, type TestApp } from './helpers.ts';
import { type Browser, csrfFor, loggedIn } from './browser.ts';

// The author's form refuses a photo with neither a description nor a deliberate "decorative"; the
// API keeps accepting photos without one (scripts and devices).

let t: TestApp;
let base: string;
let browser: Browser;
let csrf: string;
before(async () => {
  t = await testApp();
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
  browser = await loggedIn(t.app, t.author.name, AUTHOR_PASSWORD);
  csrf = await csrfFor(browser, true);
});
after(() => t.close());

const png = async () => new Blob([new Uint8Array(await sharp({ create: { width: 4, height: 4, channels: 3, background: '#c00' } }).png().toBuffer())], { type: 'image/png' });

async function publishFromForm(fields: Record<string, string>, accept = 'text/html') {
  const form = new FormData();
  form.append('_csrf', csrf);
  form.append('key', crypto.randomUUID());
  form.append('body', 'A photo');
  form.append('photo', await png(), 'red.png');
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  const cookie = Object.entries(browser.cookieJar()).map(([name, value]) => `${name}=${value}`).join('; ');
  const response = await fetch(`${base}/s/${t.slug}/posts`, { method: 'POST', headers: { cookie, accept }, body: form, redirect: 'manual' });
  return { status: response.status, text: await response.text() };
}

test('the form refuses a photo without a description, with a plain message, and stores nothing', async () => {
  const before = (await t.app.livelog.projections.require(t.slug)).head;
  for (const alt of [{}, { alt: '' }, { alt: '   ' }] as Record<string, string>[]) {
    const refused = await publishFromForm(alt);
    assert.equal(refused.status, 400, JSON.stringify(alt));
    assert.match(refused.text, /Describe each photo for people who cannot see it, or mark it as decorative/);
  }
  const json = await publishFromForm({}, 'application/json');
  assert.equal(json.status, 400);
  assert.equal(JSON.parse(json.text).code, 'LIVELOG_PHOTO_NEEDS_DESCRIPTION');
  assert.equal((await t.app.livelog.projections.require(t.slug)).head, before);
});

test('a described photo, or one marked decorative, is published (decorative with alt="")', async () => {
  assert.equal((await publishFromForm({ alt: 'A red square' })).status, 303);
  assert.equal((await publishFromForm({ decorative: 'true' })).status, 303);
  const [decorative, described] = (await t.app.livelog.projections.require(t.slug)).page(2);
  assert.equal(decorative?.post.media?.[0]?.alt, '');
  assert.equal(described?.post.media?.[0]?.alt, 'A red square');
});

test('the API still accepts a photo without a description', async () => {
  const form = new FormData();
  form.append('photo', await png(), 'red.png');
  const response = await fetch(`${base}/api/streams/${t.slug}/posts`, { method: 'POST', headers: { authorization: `Bearer ${t.token}` }, body: form });
  assert.equal(response.status, 201);
});

test('a photo-only post can be edited on the no-JavaScript page: no text required, the headline saved', async () => {
  const form = new FormData();
  form.append('photo', await png(), 'red.png');
  form.append('alt', 'A red square');
  const response = await fetch(`${base}/api/streams/${t.slug}/posts`, { method: 'POST', headers: { authorization: `Bearer ${t.token}` }, body: form });
  const { id } = (await response.json()) as { id: string };
  const page = await browser.request('GET', `/s/${t.slug}/posts/${id}/edit`);
  assert.doesNotMatch(/<textarea[^>]*>/.exec(page.body)![0], /required/);
  const fields = Object.fromEntries([...page.body.matchAll(/name="(_csrf|key|baseSeq)" value="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
  assert.equal((await browser.request('POST', `/s/${t.slug}/posts/${id}/edit`, { ...fields, body: '', headline: 'Red' })).statusCode, 303);
  const post = (await t.app.livelog.projections.require(t.slug)).post(id)?.post;
  assert.deepEqual([post?.body, post?.headline, post?.media?.[0]?.alt], ['', 'Red', 'A red square']);
});
