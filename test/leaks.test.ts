import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { Tokens } from '../server/auth/tokens.ts';
import { assetName } from '../server/render/assets.ts';
import { AUTHOR_PASSWORD, databaseUrl, testApp, type TestApp } from './helpers.ts';
import { Browser } from './browser.ts';
import { multipartBody } from './fixtures/photos.ts';

// What an attacker could learn: nothing internal leaks (user ids, source maps), a deleted post's
// photo is gone with it, and error codes say what happened without saying how.

let t: TestApp;
let base: string;
before(async () => {
  t = await testApp();
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
});
after(() => t.close());

test("a deleted post's photo is gone, unless a live post shows the same photo", async () => {
  const photo = await sharp({ create: { width: 40, height: 30, channels: 3, background: 'red' } }).png().toBuffer();
  const publish = async (body: string) => {
    const form = multipartBody([{ name: 'body', bytes: body }, { name: 'photo', filename: 'p.png', bytes: photo }]);
    const response = await fetch(`${base}/api/streams/${t.slug}/posts`, { method: 'POST', headers: { authorization: `Bearer ${t.token}`, 'content-type': form.contentType }, body: form.body });
    assert.equal(response.status, 201);
    return (await response.json()).id as string;
  };
  const posts = async () => (await (await fetch(`${base}/api/streams/${t.slug}/posts`)).json()).posts as { id: string; media?: { url: string }[] }[];
  const first = await publish('first with the photo');
  const url = (await posts()).find((p) => p.id === first)!.media![0]!.url;
  assert.equal((await fetch(`${base}${url}`)).status, 200);
  const second = await publish('second with the same photo');
  const remove = (id: string) => fetch(`${base}/api/streams/${t.slug}/posts/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${t.token}` } });
  assert.equal((await remove(first)).status, 200);
  assert.equal((await fetch(`${base}${url}`)).status, 200, 'still shown by the second post');
  assert.equal((await remove(second)).status, 200);
  const gone = await fetch(`${base}${url}`);
  assert.equal(gone.status, 404);
  assert.equal((await gone.json()).code, 'LIVELOG_MEDIA_NOT_FOUND');
});

test('no internal user ids in pages, the public API or the export', async () => {
  const userIds = (await t.database.collection('users').find({}).toArray()).map((u) => String(u._id));
  await t.app.inject({ method: 'POST', url: `/api/streams/${t.slug}/posts`, headers: { authorization: `Bearer ${t.token}` }, payload: { body: 'a post to look at' } });
  const author = new Browser(t.app);
  await author.logIn('reporter', AUTHOR_PASSWORD);
  const pages = [
    (await t.app.inject({ url: `/s/${t.slug}`, headers: { accept: 'text/html' } })).body,
    (await author.request('GET', `/s/${t.slug}`)).body,
    (await t.app.inject(`/api/streams/${t.slug}/posts`)).body,
  ];
  const post = JSON.parse(pages[2]!).posts.find((p: { deleted?: boolean }) => !p.deleted);
  pages.push((await t.app.inject(`/s/${t.slug}/posts/${post.id}`)).body);
  const out = await mkdtemp(path.join(tmpdir(), 'livelog-ids-'));
  try {
    await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/export.ts', t.slug, '--out', out], {
      env: { ...process.env, MONGODB_URL: databaseUrl(), LIVELOG_DB: t.database.db.databaseName },
    });
    for (const file of await readdir(out)) if (/\.(html|xml|json)$/.test(file)) pages.push(await readFile(path.join(out, file), 'utf8'));
  } finally {
    await rm(out, { recursive: true, force: true });
  }
  for (const [i, text] of pages.entries()) for (const id of userIds) assert.ok(!text.includes(id), `document ${i} shows the user id ${id}`);
});

test('no source map is served, and the bundle does not point to one', async () => {
  assert.equal((await fetch(`${base}/assets/${assetName('live.js')}.map`)).status, 404);
  assert.doesNotMatch(await (await fetch(`${base}/assets/${assetName('live.js')}`)).text(), /sourceMappingURL/);
});

test('error codes say what happened', async () => {
  const scoped = await new Tokens(t.database).create(t.author, 'elsewhere', 'another-stream');
  const cases: [string, () => Promise<Response>, number, string][] = [
    ['no token', () => fetch(`${base}/api/streams/${t.slug}/posts`, { method: 'POST' }), 401, 'LIVELOG_UNAUTHORIZED'],
    ['a token for another stream', () => fetch(`${base}/api/streams/${t.slug}/posts`, { method: 'POST', headers: { authorization: `Bearer ${scoped}` } }), 403, 'LIVELOG_FORBIDDEN'],
    ['no such route', () => fetch(`${base}/nowhere`), 404, 'LIVELOG_NOT_FOUND'],
    ['a bad query', () => fetch(`${base}/s/${t.slug}?before=x`), 400, 'LIVELOG_INVALID_REQUEST'],
  ];
  for (const [name, request, status, code] of cases) {
    const response = await request();
    assert.equal(response.status, status, name);
    assert.equal((await response.json()).code, code, name);
  }
});
