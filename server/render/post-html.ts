import type { PostVersion } from '../log/fold.ts';
import { renderPost } from './views.ts';

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
