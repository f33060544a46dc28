import { test } from 'node:test';
import assert from 'node:assert/strict';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { PostSnapshot, StreamRecord } from '../../server/log/records.ts';
import { atomFeed, jsonFeed, newestPosts } from '../../server/render/feeds.ts';
import { exportLinks, siteBase, siteLinks } from '../../server/render/links.ts';
import { renderPost } from '../../server/render/views.ts';

const stream: StreamRecord = {
  _id: 'match',
  title: 'Cup final <live> & "more"',
  description: 'Home v Away',
  epoch: 'e1',
  createdBy: 'u1',
  createdAt: new Date('2026-11-20T18:00:00Z'),
};
const author = { id: 'u1', name: 'Ada' };
const post = (n: number, extra: Partial<PostSnapshot> = {}): PostSnapshot => ({
  id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  author,
  body: `**Goal ${n}!** [report](https://example.org/r)\nsecond line`,
  createdAt: new Date(Date.UTC(2026, 10, 20, 18, n)),
  createdSeq: n,
  pinned: false,
  ...extra,
});
const edited = post(2, { headline: 'Penalty </title> saved', editedAt: new Date('2026-11-20T19:30:00Z'), media: [{ id: 'a'.repeat(64), alt: 'Save', width: 4, height: 3 }] });
const posts = [post(3, { body: 'Bad \u0001 byte' }), edited, post(1)].map((p) => ({ post: p, html: renderPost(p, p.createdSeq, 'match') }));
const updated = new Date('2026-11-20T19:30:00Z');
const site = siteLinks('https://live.example.org', 'match');

test('the Atom feed is well-formed XML with every element RFC 4287 requires, dated by edits', () => {
  const xml = atomFeed({ stream, posts, updated, links: site });
  assert.equal(XMLValidator.validate(xml), true);
  const { feed } = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@' }).parse(xml);
  assert.equal(feed['@xmlns'], 'http://www.w3.org/2005/Atom');
  assert.equal(feed.title, stream.title);
  assert.equal(feed.id, 'urn:livelog:match:e1');
  assert.equal(feed.updated, '2026-11-20T19:30:00.000Z');
  assert.equal(feed.author.name, stream.title);
  const links = [feed.link].flat();
  assert.ok(links.some((l: Record<string, string>) => l['@rel'] === 'self' && l['@href'] === 'https://live.example.org/s/match/feed.xml'));
  assert.ok(links.some((l: Record<string, string>) => l['@rel'] === 'alternate' && l['@href'] === 'https://live.example.org/s/match'));
  assert.equal(feed.entry.length, 3);
  for (const entry of feed.entry) {
    for (const field of ['id', 'title', 'updated', 'published', 'author', 'link', 'content', 'summary']) assert.ok(entry[field] !== undefined, field);
    assert.match(entry.link['@href'], /^https:\/\/live\.example\.org\/s\/match\/p\/[0-9a-f-]{36}$/);
  }
  const penalty = feed.entry[1];
  assert.equal(penalty.title['#text'], 'Penalty </title> saved');
  assert.equal(penalty.updated, '2026-11-20T19:30:00.000Z');
  assert.equal(penalty.published, '2026-11-20T18:02:00.000Z');
  assert.equal(penalty.summary['#text'], 'Goal 2! report\nsecond line');
  // The content is the sanitised HTML, its own links made absolute for a feed reader.
  assert.match(penalty.content['#text'], /<strong>Goal 2!<\/strong>/);
  assert.match(penalty.content['#text'], /src="https:\/\/live\.example\.org\/s\/match\/media\/a{64}\.webp"/);
  assert.equal(feed.entry[2].title['#text'], 'Goal 1! report', 'no headline: the first line, without Markdown');
  assert.equal(feed.entry[0].summary['#text'], 'Bad  byte', 'a character XML forbids is dropped');
});

test('the JSON Feed has what version 1.1 requires and the optional fields readers use', () => {
  const feed = jsonFeed({ stream, posts, updated, links: site });
  assert.equal(feed.version, 'https://jsonfeed.org/version/1.1');
  assert.equal(feed.title, stream.title);
  assert.equal(feed.home_page_url, 'https://live.example.org/s/match');
  assert.equal(feed.feed_url, 'https://live.example.org/s/match/feed.json');
  const items = feed.items as Record<string, unknown>[];
  assert.equal(items.length, 3);
  for (const item of items) {
    assert.equal(typeof item.id, 'string');
    assert.ok(typeof item.content_html === 'string' && typeof item.content_text === 'string');
    assert.match(String(item.url), /^https:\/\//);
    assert.ok(!Number.isNaN(Date.parse(String(item.date_published))) && !Number.isNaN(Date.parse(String(item.date_modified))));
    assert.deepEqual(item.authors, [{ name: 'Ada' }]);
  }
  assert.equal(items[1]!.title, 'Penalty </title> saved');
  assert.equal(items[1]!.date_modified, '2026-11-20T19:30:00.000Z');
  assert.equal(items[1]!.image, `https://live.example.org/s/match/media/${'a'.repeat(64)}.webp`);
  assert.doesNotMatch(String(items[1]!.content_text), /\*\*|<|\[/);
});

test('feeds take the newest posts by creation, pinned or not, and export links stay in the folder', () => {
  const pinned = { post: post(1, { pinned: true }) };
  assert.deepEqual(newestPosts([pinned, { post: post(5) }, { post: post(3) }], 2).map((p) => p.post.createdSeq), [5, 3]);
  const feed = jsonFeed({ stream, posts, updated, links: exportLinks() });
  assert.equal((feed.items as { url: string }[])[0]!.url, `index.html#post-${posts[0]!.post.id}`);
});

test('without LIVELOG_PUBLIC_URL the base is the request host, and a malformed host is not echoed', () => {
  assert.equal(siteBase('https://live.example.org/', { protocol: 'http', host: 'evil' }), 'https://live.example.org');
  assert.equal(siteBase(undefined, { protocol: 'http', host: '127.0.0.1:3000' }), 'http://127.0.0.1:3000');
  assert.equal(siteBase(undefined, { protocol: 'http', host: 'a"><script>' }), 'http://localhost');
});
