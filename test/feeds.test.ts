import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { brotliDecompressSync } from 'node:zlib';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { assetName } from '../server/render/assets.ts';
import { testApp, type TestApp } from './helpers.ts';

// The feeds, the stream page's sharing tags and JSON-LD, and compression and caching, wired.

let t: TestApp;
let plain: TestApp;
before(async () => {
  t = await testApp({ LIVELOG_PUBLIC_URL: 'https://live.example.org' });
  plain = await testApp();
  for (const body of ['Kick-off **now**', 'Goal! 1 – 0', 'Half time']) await publish(t, body);
  await publish(plain, 'Hello');
});
after(async () => {
  await t.close();
  await plain.close();
});

async function publish(app: TestApp, body: string): Promise<string> {
  const answer = await app.app.inject({
    method: 'POST',
    url: `/api/streams/${app.slug}/posts`,
    headers: { authorization: `Bearer ${app.token}` },
    payload: { body },
  });
  assert.equal(answer.statusCode, 201);
  return answer.json().id;
}

test('the Atom feed has absolute links from LIVELOG_PUBLIC_URL, newest first, and answers 304 until the stream moves', async () => {
  const first = await t.app.inject(`/s/${t.slug}/feed.xml`);
  assert.equal(first.statusCode, 200);
  assert.match(first.headers['content-type'] as string, /^application\/atom\+xml/);
  assert.equal(XMLValidator.validate(first.body), true);
  const { feed } = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@' }).parse(first.body);
  assert.deepEqual(feed.entry.map((e: { title: { '#text': string } }) => e.title['#text']), ['Half time', 'Goal! 1 – 0', 'Kick-off now']);
  for (const entry of feed.entry) assert.match(entry.link['@href'], /^https:\/\/live\.example\.org\/s\/launch\/p\/[0-9a-f-]{36}$/);

  assert.equal(first.headers['cache-control'], 'public, max-age=30', 'the public address fixes the links: shared caches may keep it');
  const etag = first.headers.etag as string;
  assert.ok(etag);
  const again = await t.app.inject({ url: `/s/${t.slug}/feed.xml`, headers: { 'if-none-match': etag } });
  assert.equal(again.statusCode, 304);
  assert.equal(again.body, '');
  await publish(t, 'Second half');
  const moved = await t.app.inject({ url: `/s/${t.slug}/feed.xml`, headers: { 'if-none-match': etag } });
  assert.equal(moved.statusCode, 200);
  assert.notEqual(moved.headers.etag, etag);
});

test('the JSON feed takes the request host when no public address is set; unknown streams are 404', async () => {
  const answer = await plain.app.inject({ url: `/s/${plain.slug}/feed.json`, headers: { host: 'venue.local:3000' } });
  assert.equal(answer.statusCode, 200);
  assert.match(answer.headers['content-type'] as string, /^application\/feed\+json/);
  const feed = answer.json();
  assert.equal(feed.version, 'https://jsonfeed.org/version/1.1');
  assert.equal(feed.feed_url, 'http://venue.local:3000/s/launch/feed.json');
  assert.match(feed.items[0].url, /^http:\/\/venue\.local:3000\/s\/launch\/p\//);
  assert.equal(answer.headers['cache-control'], 'private, max-age=30', 'links follow the host: no shared cache');
  assert.equal(feed.items[0].content_text, 'Hello');
  assert.equal((await plain.app.inject('/s/no-such-stream/feed.json')).statusCode, 404);
  assert.equal((await plain.app.inject('/s/no-such-stream/feed.xml')).statusCode, 404);
  assert.equal((await plain.app.inject('/s/Bad_Slug/feed.xml')).statusCode, 400);
});

test('the stream page announces its feeds and carries LiveBlogPosting JSON-LD, canonical and Open Graph tags', async () => {
  const page = (await t.app.inject(`/s/${t.slug}`)).body;
  assert.match(page, /<link rel="alternate" type="application\/atom\+xml" href="https:\/\/live\.example\.org\/s\/launch\/feed\.xml"/);
  assert.match(page, /<link rel="alternate" type="application\/feed\+json" href="https:\/\/live\.example\.org\/s\/launch\/feed\.json"/);
  assert.match(page, /<link rel="canonical" href="https:\/\/live\.example\.org\/s\/launch">/);
  assert.match(page, /<meta property="og:url" content="https:\/\/live\.example\.org\/s\/launch">/);
  const jsonLd = () => JSON.parse(/<script type="application\/ld\+json">([^<]*)<\/script>/.exec(page)![1]!);
  const live = jsonLd();
  assert.equal(live['@type'], 'LiveBlogPosting');
  assert.equal(live.headline, 'The launch');
  assert.equal('coverageEndTime' in live, false, 'no end while live');
  assert.ok(live.liveBlogUpdate.some((u: { articleBody: string }) => u.articleBody === 'Kick-off now'));

  const ended = await t.app.inject({
    method: 'PUT',
    url: `/api/streams/${t.slug}/status`,
    headers: { authorization: `Bearer ${t.token}` },
    payload: { status: 'ended' },
  });
  assert.equal(ended.statusCode, 200);
  const endedPage = (await t.app.inject(`/s/${t.slug}`)).body;
  const end = JSON.parse(/<script type="application\/ld\+json">([^<]*)<\/script>/.exec(endedPage)![1]!);
  assert.ok(Date.parse(end.coverageEndTime) >= Date.parse(end.coverageStartTime));
});

test('pages and feeds are compressed (brotli, else gzip); hashed assets are precompressed and immutable', async () => {
  const page = await t.app.inject({ url: `/s/${t.slug}`, headers: { 'accept-encoding': 'br, gzip' } });
  assert.equal(page.headers['content-encoding'], 'br');
  assert.match(brotliDecompressSync(page.rawPayload).toString(), /<html/);
  const feed = await t.app.inject({ url: `/s/${t.slug}/feed.xml`, headers: { 'accept-encoding': 'gzip' } });
  assert.equal(feed.headers['content-encoding'], 'gzip');

  const script = assetName('live.js');
  assert.match(script, /^live-[A-Z0-9]{8}\.js$/, 'the client is built (npm run build)');
  assert.match(brotliDecompressSync(page.rawPayload).toString(), new RegExp(`src="/assets/${script}"`));
  const js = await t.app.inject({ url: `/assets/${script}`, headers: { 'accept-encoding': 'br, gzip' } });
  assert.equal(js.statusCode, 200);
  assert.equal(js.headers['content-encoding'], 'br');
  assert.equal(js.headers['cache-control'], 'public, max-age=31536000, immutable');
  assert.equal(js.headers.vary, 'accept-encoding', 'one address, several encodings: shared caches must key on it');
  const css = await t.app.inject({ url: `/assets/${assetName('livelog.css')}`, headers: { 'accept-encoding': 'gzip' } });
  assert.equal(css.headers['content-encoding'], 'gzip');
  assert.equal(css.headers['cache-control'], 'public, max-age=31536000, immutable');
  assert.equal((await t.app.inject('/assets/live.js')).statusCode, 404, 'only hashed names are served');
});

test('Server-Sent Events still stream through compression, uncompressed', async () => {
  await plain.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = plain.app.server.address() as { port: number };
  const controller = new AbortController();
  const response = await fetch(`http://127.0.0.1:${port}/s/${plain.slug}/events`, { headers: { 'accept-encoding': 'br, gzip' }, signal: controller.signal });
  assert.equal(response.headers.get('content-type'), 'text/event-stream; charset=utf-8');
  assert.equal(response.headers.get('content-encoding'), null);
  const reader = response.body!.getReader();
  let text = '';
  const published = publish(plain, 'Arrives live');
  while (!text.includes('Arrives live')) text += new TextDecoder().decode((await reader.read()).value);
  await published;
  controller.abort();
  assert.match(text, /"t":"hello"/);
});
