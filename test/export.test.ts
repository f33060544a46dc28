import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { MongoChangeStore } from '../server/log/mongo-store.ts';
import { loadStreamProjection } from '../server/log/projection.ts';
import { publishPost, setStatus } from '../server/log/commands.ts';
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

/** Marks a post as a key moment with a headline, as the author's key action will (a whole-state change). */
async function markKey(slug: string, postId: string, headline: string) {
  const projection = (await loadStreamProjection(new MongoChangeStore(database), slug))!;
  const by = { id: 'u', name: 'Mallory <b>' };
  await projection.append({
    key: `key-${postId}`,
    fingerprint: `key-${postId}`,
    decide: (state) => ({ type: 'pin', by, postId, post: { ...state.post(postId)!.post, key: true, headline } }),
  });
  return projection;
}
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
  const section = html.slice(html.indexOf('<section class="posts"'));
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
  // Plain text: the body as words (it has no Markdown marks), never HTML.
  assert.equal(jsonLd.liveBlogUpdate[0].articleBody, HOSTILE);
  assert.equal(jsonLd.liveBlogUpdate[1].articleBody, 'Doors open at 7pm');
  assert.equal('coverageEndTime' in jsonLd, false, 'still live: no end');
  assert.match(html, /This stream was still live when this copy was made/);
  assert.doesNotMatch(html, /class="key-moments"/, 'no key moments: no list');

  const feed = await readFile(path.join(out, 'feed.xml'), 'utf8');
  assert.equal((feed.match(/<entry>/g) ?? []).length, 2);
  assert.match(feed, /<link rel="alternate" type="text\/html" href="index\.html#post-[0-9a-f-]{36}"\/>/);
  const jsonFeed = JSON.parse(await readFile(path.join(out, 'feed.json'), 'utf8'));
  assert.equal(jsonFeed.version, 'https://jsonfeed.org/version/1.1');
  assert.equal(jsonFeed.items.length, 2);
  assert.equal(jsonFeed.items[1].content_html, '<p>Doors open at <strong>7pm</strong></p>', 'the post alone, no page chrome');
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

test('the same stream exports the same bytes twice; an ended stream with key moments says so and links them offline', async () => {
  const store = new MongoChangeStore(database);
  await new Streams(store).create('final', 'Final', 'test', '');
  let projection = (await loadStreamProjection(store, 'final'))!;
  const actor = { id: 'u', name: 'Mallory <b>', admin: true };
  const first = await publishPost(projection, { actor, body: 'Kick-off', key: 'final-1' });
  await publishPost(projection, { actor, body: 'Corner', key: 'final-2' });
  const third = await publishPost(projection, { actor, body: 'Goal **1-0**', key: 'final-3' });
  await markKey('final', third.record.postId!, 'Goal!');
  projection = await markKey('final', first.record.postId!, 'Under way');
  const ended = await setStatus(projection, { actor, status: 'ended', key: 'final-end' });

  const [a, b] = [path.join(out, 'final-a'), path.join(out, 'final-b')];
  const { stderr } = await exportStream('final', a);
  assert.match(stderr, /export: rendered 3\/3 posts/);
  await exportStream('final', b);
  for (const file of ['index.html', 'feed.xml', 'feed.json', 'posts.json']) {
    assert.ok((await readFile(path.join(a, file))).equals(await readFile(path.join(b, file))), `${file} is byte-identical`);
  }
  const html = await readFile(path.join(a, 'index.html'), 'utf8');
  assert.match(html, /This stream has ended/);
  assert.match(html, new RegExp(`Last updated <time class="last-updated" datetime="${ended.record.at.toISOString()}"`));
  const nav = /<nav class="key-moments"[\s\S]*?<\/nav>/.exec(html)![0];
  const targets = [...nav.matchAll(/href="#post-([0-9a-f-]{36})"/g)].map((m) => m[1]);
  assert.deepEqual(targets, [first.record.postId, third.record.postId], 'oldest first');
  for (const id of targets) assert.match(html, new RegExp(`<article[^>]* id="post-${id}"`));
  assert.match(nav, /Under way<\/a>/);
  const jsonLd = JSON.parse(/<script type="application\/ld\+json">([^<]*)<\/script>/.exec(html)![1]!);
  assert.equal(jsonLd.coverageEndTime, ended.record.at.toISOString(), 'the end is when the stream was ended');
  const posts = JSON.parse(await readFile(path.join(a, 'posts.json'), 'utf8'));
  assert.equal(posts.status, 'ended');
  assert.equal('exportedAt' in posts, false);
});
