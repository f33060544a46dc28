import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { heightMessage, MAX_EMBED_HEIGHT, parseHeightMessage } from '../../client/embed-message.ts';
import { absoluteSnippet } from '../../client/embed-snippet.ts';

// The host page believes only the embed's one message shape; everything else posted to it is
// ignored, and the height it applies is bounded.

test('the embed height message survives the round trip, rounded up and bounded', () => {
  assert.deepEqual(parseHeightMessage(heightMessage('launch', 812.2)), { livelog: 'embed-height', stream: 'launch', height: 813 });
  assert.equal(heightMessage('launch', 1e9).height, MAX_EMBED_HEIGHT);
  fc.assert(
    fc.property(fc.nat({ max: MAX_EMBED_HEIGHT }), (height) => assert.equal(parseHeightMessage(heightMessage('a-b', height))?.height, height)),
  );
});

test('anything else posted to the host page is ignored', () => {
  const bad: unknown[] = [
    null,
    'embed-height',
    { livelog: 'embed-height', stream: 'launch' },
    { livelog: 'embed-height', stream: 'launch', height: '800' },
    { livelog: 'embed-height', stream: 'launch', height: Number.NaN },
    { livelog: 'embed-height', stream: 'launch', height: -1 },
    { livelog: 'embed-height', stream: 'launch', height: Number.POSITIVE_INFINITY },
    { livelog: 'embed-height', stream: 'launch', height: MAX_EMBED_HEIGHT + 1 },
    { livelog: 'embed-height', stream: '<img src=x>', height: 10 },
    { livelog: 'other', stream: 'launch', height: 10 },
  ];
  for (const data of bad) assert.equal(parseHeightMessage(data), null, JSON.stringify(data));
  fc.assert(fc.property(fc.anything(), (data) => {
    const parsed = parseHeightMessage(data);
    if (parsed) assert.ok(parsed.height >= 0 && parsed.height <= MAX_EMBED_HEIGHT);
  }));
});

test('the snippet gets absolute addresses, and keeps those LIVELOG_PUBLIC_URL already gave', () => {
  const relative = '<iframe src="/s/launch/embed" title="x"></iframe>\n<script src="/assets/embed.js" async></script>';
  assert.equal(
    absoluteSnippet(relative, 'http://live.example:3000'),
    '<iframe src="http://live.example:3000/s/launch/embed" title="x"></iframe>\n<script src="http://live.example:3000/assets/embed.js" async></script>',
  );
  const absolute = '<iframe src="https://live.example.org/s/launch/embed"></iframe>';
  assert.equal(absoluteSnippet(absolute, 'http://other'), absolute);
});
