import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { databaseUrl, testApp, type TestApp } from './helpers.ts';
import { photoWithLocation } from './fixtures/photos.ts';

let t: TestApp;
let base: string;
before(async () => {
  t = await testApp();
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
});
after(() => t.close());

async function upload(parts: [string, Blob | string, string?][], headers: Record<string, string> = {}) {
  const form = new FormData();
  for (const [name, value, filename] of parts) {
    if (typeof value === 'string') form.append(name, value);
    else form.append(name, value, filename);
  }
  const response = await fetch(`${base}/api/streams/${t.slug}/posts`, {
    method: 'POST',
    headers: { authorization: `Bearer ${t.token}`, ...headers },
    body: form,
  });
  return { status: response.status, json: await response.json() };
}

const file = (bytes: Buffer | string, type = 'image/jpeg') => new Blob([typeof bytes === 'string' ? bytes : new Uint8Array(bytes)], { type });

test('a photo is re-encoded without its EXIF (no GPS), bounded in size, and served with caching that lets a deletion take effect', async () => {
  const original = await photoWithLocation();
  assert.ok((await sharp(original).metadata()).exif, 'the test photo does carry EXIF');
  const { status, json } = await upload([
    ['body', 'The stage, from the back'],
    ['photo', file(original), 'IMG_0001.jpg'],
    ['alt', 'A stage lit in orange, seen from the back of the hall'],
  ]);
  assert.equal(status, 201, JSON.stringify(json));
  const { posts } = await (await fetch(`${base}/api/streams/${t.slug}/posts`)).json();
  const post = posts.find((p: { id: string }) => p.id === json.id);
  assert.equal(post.media.length, 1);
  const [media] = post.media;
  assert.match(media.id, /^[0-9a-f]{64}$/);
  assert.equal(media.alt, 'A stage lit in orange, seen from the back of the hall');
  assert.deepEqual([media.width, media.height], [2048, 683]);
  assert.match(post.html, new RegExp(`<img src="/s/${t.slug}/media/${media.id}.webp" alt="A stage lit in orange, seen from the back of the hall" width="2048" height="683"`));

  const served = await fetch(`${base}${media.url}`);
  assert.equal(served.status, 200);
  assert.equal(served.headers.get('content-type'), 'image/webp');
  assert.equal(served.headers.get('cache-control'), 'public, max-age=300');
  assert.equal(served.headers.get('etag'), `"${media.id}"`);
  const revalidated = await fetch(`${base}${media.url}`, { headers: { 'if-none-match': `"${media.id}"` } });
  assert.equal(revalidated.status, 304);
  assert.equal(served.headers.get('x-content-type-options'), 'nosniff');
  const bytes = Buffer.from(await served.arrayBuffer());
  const metadata = await sharp(bytes).metadata();
  assert.equal(metadata.format, 'webp');
  assert.equal(metadata.exif, undefined, 'no EXIF: the GPS position is gone');
  assert.ok(!bytes.includes(Buffer.from('Secret Serial')));
});

test('a photo alone makes a post; the same photo twice is stored once', async () => {
  const photo = await photoWithLocation(400, 300);
  const first = await upload([['photo', file(photo), 'a.jpg']]);
  const second = await upload([['photo', file(photo), 'b.jpg'], ['body', 'again']]);
  assert.equal(first.status, 201);
  assert.equal(second.status, 201);
  assert.equal(await t.database.collection('media').countDocuments(), 2, 'the 3000px photo and this one');
});

test('files that are not photos are refused by content, whatever their name, and nothing is stored', async () => {
  const before = await t.database.collection('changes').countDocuments();
  const svg = '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script><rect width="10" height="10"/></svg>';
  for (const [bytes, name, type] of [
    [svg, 'cute.png', 'image/png'],
    [svg, 'drawing.svg', 'image/svg+xml'],
    ['just text, honestly', 'photo.png', 'image/png'],
    [Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0, 0, 0]), 'truncated.jpg', 'image/jpeg'],
    ['<html><script>alert(1)</script></html>', 'page.gif', 'image/gif'],
  ] as const) {
    const { status, json } = await upload([['body', 'look'], ['photo', file(bytes as Buffer | string, type), name]]);
    assert.equal(status, 415, `${name}: ${JSON.stringify(json)}`);
    assert.match(json.message, /not a photo Livelog accepts/);
  }
  assert.equal(await t.database.collection('changes').countDocuments(), before);
});

test('too many photos, an oversized file or a photo sent as text are 4xx with a message', async () => {
  const small = await sharp({ create: { width: 8, height: 8, channels: 3, background: 'blue' } }).png().toBuffer();
  const five = await upload([...Array(5)].map((_, i) => ['photo', file(small, 'image/png'), `p${i}.png`] as [string, Blob, string]));
  assert.ok(five.status === 413 || five.status === 400, String(five.status));
  const huge = await upload([['photo', file(Buffer.alloc(11 * 1024 * 1024, 1), 'image/png'), 'huge.png']]);
  assert.equal(huge.status, 413);
  const asText = await upload([['photo', 'not a file'], ['body', 'x']]);
  assert.equal(asText.status, 400);
  const json = await fetch(`${base}/api/streams/${t.slug}/posts`, {
    method: 'POST',
    headers: { authorization: `Bearer ${t.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ body: 'x', photo: 'aGVsbG8=' }),
  });
  assert.equal(json.status, 400);
});

test('media ids are checked: a bad or unknown id is a 404 or 400, never a file from elsewhere', async () => {
  const m = `/s/${t.slug}/media`;
  for (const url of [`${m}/../../etc/passwd`, `${m}/%2e%2e%2fpackage.json`, `${m}/abc.webp`, `${m}/${'0'.repeat(64)}.webp`, `/s/nope/media/${'0'.repeat(64)}.webp`]) {
    const response = await fetch(`${base}${url}`);
    assert.ok([400, 404].includes(response.status), `${url}: ${response.status}`);
  }
});

test('the export copies the photos of existing posts only, and links them relatively', async () => {
  const photo = await sharp({ create: { width: 50, height: 50, channels: 3, background: 'green' } }).png().toBuffer();
  const doomed = await upload([['body', 'to be deleted'], ['photo', file(photo, 'image/png'), 'doomed.png']]);
  await fetch(`${base}/api/streams/${t.slug}/posts/${doomed.json.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${t.token}` } });
  const out = await mkdtemp(path.join(tmpdir(), 'livelog-photo-export-'));
  try {
    await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/export.ts', t.slug, '--out', out], {
      env: { ...process.env, MONGODB_URL: databaseUrl(), LIVELOG_DB: t.database.db.databaseName },
    });
    const files = await readdir(path.join(out, 'media'));
    const { posts } = await (await fetch(`${base}/api/streams/${t.slug}/posts`)).json();
    const expected = [...new Set(posts.flatMap((p: { media?: { id: string }[] }) => (p.media ?? []).map((m) => `${m.id}.webp`)))];
    assert.deepEqual(files.sort(), (expected as string[]).sort());
    const html = await readFile(path.join(out, 'index.html'), 'utf8');
    assert.match(html, /<img src="media\/[0-9a-f]{64}\.webp"/);
    assert.doesNotMatch(html, /src="\/(s|media)\//);
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});
