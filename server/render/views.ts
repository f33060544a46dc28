import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Eta } from 'eta';
import type { PostSnapshot } from '../log/records.ts';
import { assetName } from './assets.ts';
import { renderMarkdown } from './markdown.ts';

// The eta views, shared by the live page, the pushes to viewers and the static export: one partial
// renders a post everywhere, so the three can never drift apart.

const VIEWS_DIR = fileURLToPath(new URL('../../views/', import.meta.url));
const STYLESHEET_PATH = fileURLToPath(new URL('../../client/livelog.css', import.meta.url));

const eta = new Eta({ views: VIEWS_DIR, cache: true, autoEscape: true, autoTrim: false });

/** Times are shown in UTC on the server side; the page's script turns them into local time. */
function formatTime(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

// Snapshots never change (an edit is a new one): a body is rendered once for the page and the feeds.
const bodies = new WeakMap<PostSnapshot, string>();

/** The post's Markdown as sanitised HTML, rendered once per snapshot. */
export function postBodyHtml(post: PostSnapshot): string {
  let html = bodies.get(post);
  if (html === undefined) {
    html = renderMarkdown(post.body);
    bodies.set(post, html);
  }
  return html;
}

/**
 * The public HTML of one post at a version: no author controls, no tokens, safe to send to anyone.
 * Photos are linked under `mediaBase`: the stream's own media path on the server (a deleted post's
 * photos stop being served there), or the export's own folder; `permalink` is where the post's time
 * and Share button lead (its own page on the server, an anchor in an export).
 */
export function renderPost(
  post: PostSnapshot,
  seq: number,
  stream: string,
  mediaBase = `/s/${stream}/media/`,
  permalink = `/s/${stream}/p/${post.id}`,
): string {
  return eta.render('./partials/post', { post, seq, bodyHtml: postBodyHtml(post), formatTime, mediaBase, permalink });
}

export function renderView(name: string, data: Record<string, unknown>): string {
  return eta.render(`./${name}`, { formatTime, asset: assetName, ...data });
}

export function readStylesheet(): string {
  return readFileSync(STYLESHEET_PATH, 'utf8');
}
