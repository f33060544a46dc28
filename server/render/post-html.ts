import { randomUUID } from 'node:crypto';
import type { PostVersion } from '../log/fold.ts';
import type { PostSnapshot } from '../log/records.ts';
import { postWords } from './plain-text.ts';
import { renderPost, renderView } from './views.ts';

// The public HTML of a post version, rendered the first time someone needs it and then shared by
// every page, live frame and API answer: the fold keeps one object per version, so the version
// itself is the cache key, and a version nobody holds any more takes its HTML with it.
const rendered = new WeakMap<PostVersion, string>();

/** The version's public HTML; its photos are served from the stream's own media path. */
export function postHtml(version: PostVersion, stream: string): string {
  let html = rendered.get(version);
  if (html === undefined) {
    html = renderPost(version.post, version.seq, stream);
    rendered.set(version, html);
  }
  return html;
}

/** Who looks at the page, as far as a post's actions go. */
export interface PostViewer {
  name: string;
  admin: boolean;
  csrfToken: string;
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The post's public HTML with the author's actions inside it, as forms that work without a script.
 * Pin and key are any author's; edit and delete the post's own author's or an admin's. Each form has
 * its own idempotency key, so submitting one twice changes the post once.
 */
export function postHtmlWithActions(version: PostVersion, stream: string, viewer: PostViewer): string {
  const { post, seq } = version;
  const actions = renderView('partials/post-actions', {
    slug: stream,
    post,
    seq,
    own: viewer.admin || post.author.name === viewer.name,
    csrfToken: viewer.csrfToken,
    // Screen readers hear which post a button acts on ("Pin update by Bea at 14:05 UTC").
    label: escapeHtml(`update by ${post.author.name} at ${post.createdAt.toISOString().slice(11, 16)} UTC`),
    keys: { pin: randomUUID(), key: randomUUID(), delete: randomUUID() },
  });
  const html = postHtml(version, stream);
  const end = html.lastIndexOf('</article>');
  return `${html.slice(0, end)}${actions}${html.slice(end)}`;
}

/** What names a post in one line: its headline, or the start of its text. */
export function postSummary(post: PostSnapshot, max = 80): string {
  if (post.headline) return post.headline;
  // The same words as feeds and JSON-LD (a photo alone by its description), on one line.
  const text = postWords(post).replace(/\s+/g, ' ').trim();
  return text.length > max ? `${text.slice(0, max - 1).trimEnd()}…` : text;
}
