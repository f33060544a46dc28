import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { MongoChangeStore } from '../server/log/mongo-store.ts';
import { loadStreamProjection } from '../server/log/projection.ts';
import { publishPost } from '../server/log/commands.ts';
import { Streams } from '../server/log/streams.ts';
import { databaseUrl, testDatabase } from './helpers.ts';

let database: Awaited<ReturnType<typeof testDatabase>>;
let out: string;
const run = promisify(execFile);
const HOSTILE = '</script><script>alert(1)</script> \u2028 & "quotes"';

before(async () => {
  database = await testDatabase();
  out = await mkdtemp(path.join(tmpdir(), 'livelog-export-test-'));
  await new Streams(new MongoChangeStore(database)).create('gala', 'Gala <night> & "friends"', 'test', 'Dinner & awards');
  const projection = (await loadStreamProjection(new MongoChangeStore(database), 'gala'))!;
  const actor = { id: 'u', name: 'Mallory <b>', admin: true };
  await publishPost(projection, { actor, body: 'Doors open at **7pm**', key: 'export-1' });
  await publishPost(projection, { actor, body: HOSTILE, key: 'export-2' });
});
after(async () => {
  await database.drop();
  await rm(out, { recursive: true, force: true });
});

const exportStream = (slug: string, dir: string) =>
  run(process.execPath, ['--import', 'tsx', 'scripts/export.ts', slug, '--out', dir], {
    env: { ...process.env, MONGODB_URL: databaseUrl(), LIVELOG_DB: database.db.databaseName },
  });

test('export writes index.html, feed.xml and posts.json with every post, newest first, and reports progress', async () => {
  const { stderr } = await exportStream('gala', out);
  assert.match(stderr, /2 changes folded into 2 posts/);
  assert.match(stderr, /wrote .*index\.html/);
  const html = await readFile(path.join(out, 'index.html'), 'utf8');
  assert.match(html, /<h1>Gala &lt;night&gt; &amp; &quot;friends&quot;<\/h1>/);
  assert.match(html, /Doors open at <strong>7pm<\/strong>/);
  const section = html.slice(html.indexOf('<section class="posts">'));
  assert.ok(section.indexOf('&lt;/script&gt;') < section.indexOf('Doors open'), 'newest first');
  assert.match(html, /Mallory &lt;b&gt;/);
  assert.match(html, /http-equiv="Content-Security-Policy" content="default-src 'none'/);
  // The only script element is the JSON-LD data block, and no post text can close it.
  const scripts = [...html.matchAll(/<script[^>]*>([\s\S]*?)<\/script>/g)];
  assert.equal(scripts.length, 1);
  assert.match(scripts[0]![0], /^<script type="application\/ld\+json">/);
  const jsonLd = JSON.parse(scripts[0]![1]!);
  assert.equal(jsonLd['@type'], 'LiveBlogPosting');
  assert.equal(jsonLd.liveBlogUpdate.length, 2);
  assert.equal(jsonLd.liveBlogUpdate[0].articleBody, HOSTILE);

  const feed = await readFile(path.join(out, 'feed.xml'), 'utf8');
  assert.equal((feed.match(/<entry>/g) ?? []).length, 2);
  assert.doesNotMatch(feed.replace(/^<\?xml[^>]*\?>/, '').replace(/<\/?[a-z]+[^>]*>/g, ''), /<|>/, 'all markup inside entries is escaped');

  const json = JSON.parse(await readFile(path.join(out, 'posts.json'), 'utf8'));
  assert.equal(json.stream.slug, 'gala');
  assert.deepEqual(json.posts.map((p: { body: string }) => p.body), [HOSTILE, 'Doors open at **7pm**']);
});

test('export of a missing stream fails with one clear error line, no stack trace', async () => {
  const result = await exportStream('no-such-stream', out).catch((e) => e);
  assert.equal(result.code, 1);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.at(-1), 'livelog: no stream named "no-such-stream"');
  // Besides the error: the line naming the database used, and the export's progress.
  assert.ok(lines.length <= 3 && !/\n\s+at /.test(result.stderr), 'no stack trace');
});
