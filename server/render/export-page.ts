import type { StreamProjection } from '../log/projection.ts';
import { atomFeed, jsonFeed, newestPosts } from './feeds.ts';
import { exportLinks } from './links.ts';
import { pageMeta } from './page-meta.ts';
import { postTitle } from './plain-text.ts';
import { readStylesheet, renderPost, renderView } from './views.ts';

// A stream as the files of a static folder that needs no server: the same post partial, feeds and
// JSON-LD builders as the live site, with links inside the folder. Nothing here reads a clock, so
// the same stream always gives the same bytes.

export interface ExportFiles {
  html: string;
  atom: string;
  json: string;
  posts: Record<string, unknown>;
  /** The photos the posts show, each once, in the order they appear. */
  mediaIds: string[];
}

/** Called after every `every` posts rendered, and once at the end. */
export type ExportProgress = (rendered: number, total: number) => void;

export interface ExportOptions {
  onProgress?: ExportProgress;
  /** Posts rendered between two progress calls. */
  every?: number;
  /** Where the folder will be published (absolute feed, JSON-LD and sharing links); else relative. */
  baseUrl?: string;
}

export function exportFiles(projection: StreamProjection, { onProgress = () => {}, every = 1000, baseUrl }: ExportOptions = {}): ExportFiles {
  const { stream } = projection;
  const links = exportLinks(baseUrl);
  const versions = projection.page(Infinity);
  // The stream's own order (pinned first, like the page); a reader of the file cannot toggle it.
  if (projection.order === 'oldest') versions.sort((a, b) => Number(b.post.pinned) - Number(a.post.pinned) || a.post.createdSeq - b.post.createdSeq);
  const posts = versions.map((version, i) => {
    const html = renderPost(version.post, version.seq, stream._id, 'media/', `#post-${version.post.id}`);
    if ((i + 1) % every === 0 && i + 1 < versions.length) onProgress(i + 1, versions.length);
    return { ...version, html };
  });
  onProgress(posts.length, posts.length);
  const updated = projection.updatedAt ?? stream.createdAt;
  const endedAt = projection.endedAt;
  const keyMoments = posts
    .filter(({ post }) => post.key)
    .sort((a, b) => a.post.createdSeq - b.post.createdSeq)
    .map(({ post }) => ({ id: post.id, at: post.createdAt, title: postTitle(post) }));
  const meta = pageMeta({ stream, posts, links, endedAt, updated });
  const html = renderView('export', { stream, posts, keyMoments, meta, updated, ended: endedAt !== undefined, stylesheet: readStylesheet() });
  // The feeds of an archive carry every post, newest first.
  const feedSource = { stream, posts: newestPosts(posts, Infinity), updated, links };
  return {
    html,
    atom: atomFeed(feedSource),
    json: `${JSON.stringify(jsonFeed(feedSource), null, 2)}\n`,
    posts: {
      stream: { slug: stream._id, title: stream.title, description: stream.description, epoch: stream.epoch },
      seq: projection.head,
      status: projection.status.status,
      updated: updated.toISOString(),
      endedAt: endedAt?.toISOString(),
      posts: posts.map(({ post, seq }) => ({
        id: post.id,
        seq,
        author: post.author.name,
        headline: post.headline,
        body: post.body,
        pinned: post.pinned,
        key: post.key ?? false,
        createdAt: post.createdAt.toISOString(),
        editedAt: post.editedAt?.toISOString(),
        media: (post.media ?? []).map((m) => ({ ...m, file: `media/${m.id}.webp` })),
      })),
    },
    mediaIds: [...new Set(posts.flatMap(({ post }) => (post.media ?? []).map((m) => m.id)))],
  };
}
