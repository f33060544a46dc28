import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PostSnapshot, StreamRecord } from '../../server/log/records.ts';
import { siteLinks } from '../../server/render/links.ts';
import { liveBlogPosting, pageMeta } from '../../server/render/page-meta.ts';
import { plainText, postTitle } from '../../server/render/plain-text.ts';
import { renderView } from '../../server/render/views.ts';

const HOSTILE = '</script><script>alert(1)</script> <!-- \u2028';
const stream: StreamRecord = { _id: 'gala', title: HOSTILE, description: '', epoch: 'e', createdBy: 'u', createdAt: new Date('2026-11-20T18:00:00Z') };
const snapshot: PostSnapshot = {
  id: '00000000-0000-4000-8000-000000000001',
  author: { id: 'u', name: 'Ada' },
  body: '## Doors *open*\n\n> at **7pm** & `late` <b>bold</b>',
  createdAt: new Date('2026-11-20T18:05:00Z'),
  createdSeq: 1,
  pinned: false,
  media: [{ id: 'b'.repeat(64), alt: 'Doors', width: 4, height: 3 }],
};
const links = siteLinks('https://live.example.org', 'gala');

test('LiveBlogPosting has no coverageEndTime while live, and the ending time once ended', () => {
  const live = liveBlogPosting({ stream, posts: [{ post: snapshot }], links });
  assert.equal(live['@type'], 'LiveBlogPosting');
  assert.equal(live.coverageStartTime, '2026-11-20T18:00:00.000Z');
  assert.equal('coverageEndTime' in live, false);
  assert.equal(live.url, 'https://live.example.org/s/gala');
  const ended = liveBlogPosting({ stream, posts: [], links, endedAt: new Date('2026-11-20T22:00:00Z') });
  assert.equal(ended.coverageEndTime, '2026-11-20T22:00:00.000Z');
});

test('each update is a BlogPosting with a plain-text body and its permalink', () => {
  const [update] = liveBlogPosting({ stream, posts: [{ post: { ...snapshot, editedAt: new Date('2026-11-20T18:09:00Z') } }], links }).liveBlogUpdate as Record<string, unknown>[];
  assert.deepEqual(update, {
    '@type': 'BlogPosting',
    headline: 'Doors open',
    articleBody: 'Doors open\n\nat 7pm & late <b>bold</b>',
    datePublished: '2026-11-20T18:05:00.000Z',
    dateModified: '2026-11-20T18:09:00.000Z',
    url: 'https://live.example.org/s/gala/p/00000000-0000-4000-8000-000000000001',
    author: { '@type': 'Person', name: 'Ada' },
    image: `https://live.example.org/s/gala/media/${'b'.repeat(64)}.webp`,
  });
});

test('plain text keeps words and drops Markdown marks; a title prefers the headline', () => {
  assert.equal(plainText('**Goal!** _Home_ 2 – 1 [Away](https://x.org)\n- one\n- two'), 'Goal! Home 2 – 1 Away\n\none\n\ntwo');
  assert.equal(postTitle({ body: 'x'.repeat(200) }).length, 80);
  assert.equal(postTitle({ body: 'body', headline: ' Full time ' }), 'Full time');
});

test('a photo-only update is headlined by its photo\'s description, else "Photo"', () => {
  const photoOnly = { ...snapshot, body: '' };
  const decorative = { ...photoOnly, media: [{ ...snapshot.media![0]!, alt: '' }] };
  const updates = liveBlogPosting({ stream, posts: [{ post: photoOnly }, { post: decorative }], links }).liveBlogUpdate as Record<string, unknown>[];
  assert.deepEqual(updates.map((u) => u.headline), ['Doors', 'Photo']);
  assert.equal(postTitle({ body: '', media: [{ id: 'x', alt: `${'long '.repeat(30)}\nsecond`, width: 1, height: 1 }] }).length, 80);
  assert.equal(postTitle({ body: 'Text wins', media: snapshot.media }), 'Text wins');
});

test('the head tags escape a hostile title: no text closes the JSON-LD script or an attribute', () => {
  const meta = pageMeta({ stream, posts: [{ post: snapshot }], links });
  assert.equal(meta.image, `https://live.example.org/s/gala/media/${'b'.repeat(64)}.webp`);
  const head = renderView('partials/head-meta', { ...meta });
  const scripts = [...head.matchAll(/<script[^>]*>([\s\S]*?)<\/script>/g)];
  assert.equal(scripts.length, 1);
  assert.doesNotMatch(scripts[0]![1]!, /<|\u2028/);
  assert.equal(JSON.parse(scripts[0]![1]!).headline, HOSTILE);
  assert.match(head, /<meta property="og:title" content="&lt;\/script&gt;/);
  assert.match(head, /<meta property="og:type" content="article">/);
  assert.match(head, /<link rel="canonical" href="https:\/\/live\.example\.org\/s\/gala">/);
  assert.match(head, /<link rel="alternate" type="application\/atom\+xml" href="https:\/\/live\.example\.org\/s\/gala\/feed\.xml"/);
});
