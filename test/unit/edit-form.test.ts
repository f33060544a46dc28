import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PostSnapshot } from '../../server/log/records.ts';
import { renderView } from '../../server/render/views.ts';

// The no-JavaScript edit form: a photo can carry a post alone, so its text must not be required
// there, or the browser would refuse to save a photo post's new headline.

const post: PostSnapshot = { id: 'p1', author: { id: 'u', name: 'Bea' }, body: 'Kick-off', createdAt: new Date(0), createdSeq: 3, pinned: false };
const form = (p: PostSnapshot) =>
  renderView('partials/edit-form', { post: p, slug: 'match', seq: 3, csrfToken: 't', idempotencyKey: 'k', maxBody: 10, maxHeadline: 5 });
const textarea = (html: string) => /<textarea[^>]*>/.exec(html)![0];

test('the edit page requires text for a text post, not for a photo post, and neither in the page\'s template', () => {
  assert.match(textarea(form(post)), / required>/);
  const photo = { ...post, body: '', media: [{ id: 'a'.repeat(64), alt: 'Kick-off', width: 4, height: 3 }] };
  assert.doesNotMatch(textarea(form(photo)), /required/);
  assert.doesNotMatch(textarea(renderView('partials/edit-form', { maxBody: 10, maxHeadline: 5 })), /required/);
});
