import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderMarkdown } from '../../server/render/markdown.ts';

test('Markdown formatting becomes HTML', () => {
  assert.equal(renderMarkdown('Goal for **Team A**!'), '<p>Goal for <strong>Team A</strong>!</p>\n');
});

test('raw HTML in a post is shown as text, never as markup', () => {
  const html = renderMarkdown('<script>alert(1)</script> <img src=x onerror=alert(1)> <b>bold</b>');
  assert.doesNotMatch(html, /<script|<img|<b>/);
  assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
});

test('http, https and mailto links become links that open safely in a new tab', () => {
  const html = renderMarkdown('[site](https://example.com) [plain](http://example.org) [mail](mailto:desk@example.com)');
  assert.match(html, /<a href="https:\/\/example.com" rel="nofollow noopener noreferrer ugc" target="_blank">site<\/a>/);
  assert.match(html, /<a href="http:\/\/example.org"/);
  assert.match(html, /<a href="mailto:desk@example.com"/);
});

test('bare URLs are linked', () => {
  assert.match(renderMarkdown('see https://example.com/live'), /<a href="https:\/\/example.com\/live"/);
});

for (const url of ['javascript:alert(1)', 'JaVaScRiPt:alert(1)', 'data:text/html,<script>alert(1)</script>', 'vbscript:x', 'ftp://example.com/file', '//evil.example/x', '/relative/path']) {
  test(`a link to ${url} is not made into a link`, () => {
    const html = renderMarkdown(`[click](${url})`);
    assert.doesNotMatch(html, /<a /);
  });
}

test('an autolink with a forbidden scheme is not linked', () => {
  assert.doesNotMatch(renderMarkdown('<javascript:alert(1)>'), /<a /);
});

test('images in Markdown are not rendered (posts refer to media only by server ids)', () => {
  assert.doesNotMatch(renderMarkdown('![x](https://example.com/a.png)'), /<img/);
});
