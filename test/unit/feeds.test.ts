import { test } from 'node:test';
import assert from 'node:assert/strict';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { PostSnapshot, StreamRecord } from '../../server/log/records.ts';
import { atomFeed, feedContent, jsonFeed, newestPosts } from '../../server/render/feeds.ts';
import { exportLinks, siteBase, siteLinks } from '../../server/render/links.ts';

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
const posts = [post(3, { body: 'Bad \u0001 byte' }), edited, post(1)].map((p) => ({ post: p }));
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

test('feed content is the post alone: its sanitised body and photos, no article, buttons or data attributes', () => {
  const photo = { id: 'c'.repeat(64), alt: 'Keeper "dives"', width: 4, height: 3 };
  const both = post(4, { headline: 'Save', pinned: true, key: true, media: [photo] });
  const atom = new XMLParser().parse(atomFeed({ stream, posts: [{ post: both }], updated, links: site })).feed.entry.content;
  const json = (jsonFeed({ stream, posts: [{ post: both }], updated, links: site }).items as { content_html: string }[])[0]!.content_html;
  for (const html of [atom, json, feedContent(both, exportLinks())]) {
    assert.doesNotMatch(html, /<article|<button|<footer|<header|<time| data-[a-z-]+=/);
    assert.match(html, /^<p><strong>Goal 4!<\/strong> <a href="https:\/\/example\.org\/r" rel="nofollow noopener noreferrer ugc" target="_blank">report<\/a><br \/>\nsecond line<\/p>/);
    assert.match(html, /<figure><img src="[^"]*c{64}\.webp" alt="Keeper &quot;dives&quot;" width="4" height="3"><\/figure>$/);
  }
  assert.equal(json, atom);
  assert.match(json, /src="https:\/\/live\.example\.org\/s\/match\/media\/c{64}\.webp"/, 'absolute on the site');
  assert.match(feedContent(both, exportLinks()), /src="media\/c{64}\.webp"/, 'inside the folder in an export');
  // An export told where it will be published links absolutely, as feed readers need.
  const published = exportLinks('https://archive.example.org/final');
  assert.match(feedContent(both, published), /src="https:\/\/archive\.example\.org\/final\/media\/c{64}\.webp"/);
  assert.equal(published.permalink('p1'), 'https://archive.example.org/final/index.html#post-p1');
  assert.equal(jsonFeed({ stream, posts: [{ post: both }], updated, links: published }).feed_url, 'https://archive.example.org/final/feed.json');
});

test('a photo-only post is titled and summarised by its photo\'s description, else "Photo"', () => {
  const described = post(5, { body: '', media: [{ id: 'd'.repeat(64), alt: 'Captain lifts the cup', width: 4, height: 3 }] });
  const decorative = post(6, { body: '', media: [{ id: 'e'.repeat(64), alt: '', width: 4, height: 3 }] });
  const feed = jsonFeed({ stream, posts: [{ post: decorative }, { post: described }], updated, links: site });
  const items = feed.items as { title: string; content_text: string; content_html: string }[];
  assert.deepEqual(items.map((i) => [i.title, i.content_text]), [['Photo', 'Photo'], ['Captain lifts the cup', 'Captain lifts the cup']]);
  assert.match(items[1]!.content_html, /^<figure><img src="https:\/\/live\.example\.org\/s\/match\/media\/d{64}\.webp" alt="Captain lifts the cup"/);
  const { feed: atom } = new XMLParser().parse(atomFeed({ stream, posts: [{ post: described }], updated, links: site }));
  assert.equal(atom.entry.title, 'Captain lifts the cup');
  assert.equal(atom.entry.summary, 'Captain lifts the cup');
});
