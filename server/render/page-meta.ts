import type { PostSnapshot, StreamRecord } from '../log/records.ts';
import type { StreamLinks } from './links.ts';
import { postText, postTitle } from './plain-text.ts';

// What a stream's page tells search engines and link previews: schema.org LiveBlogPosting JSON-LD,
// a canonical link, Open Graph and Twitter card tags, and its feeds. One builder for the live page
// and the export (views/partials/head-meta.eta prints it).

export interface MetaSource {
  stream: StreamRecord;
  /** The posts the page shows, in its order. */
  posts: { post: PostSnapshot }[];
  links: StreamLinks;
  /** When the stream was ended (its status change); unset while it is live. */
  endedAt?: Date;
  /** When readers last saw a change. */
  updated?: Date;
}

export interface PageMeta {
  canonical: string;
  title: string;
  description: string;
  image?: string;
  atom: string;
  json: string;
  /** JSON-LD ready to sit inside a <script> element. */
  jsonLd: string;
}

/** JSON inside a <script> element: `<` escaped so no text can close the element (or open a comment). */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

export function liveBlogPosting({ stream, posts, links, endedAt, updated }: MetaSource): Record<string, unknown> {
  return {
    '@context': 'https://schema.org',
    '@type': 'LiveBlogPosting',
    headline: stream.title,
    ...(stream.description ? { description: stream.description } : {}),
    url: links.page,
    datePublished: stream.createdAt.toISOString(),
    ...(updated ? { dateModified: updated.toISOString() } : {}),
    coverageStartTime: stream.createdAt.toISOString(),
    // Only once the stream has ended: a live blog still running has no end.
    ...(endedAt ? { coverageEndTime: endedAt.toISOString() } : {}),
    liveBlogUpdate: posts.map(({ post }) => ({
      '@type': 'BlogPosting',
      headline: postTitle(post),
      articleBody: postText(post),
      datePublished: post.createdAt.toISOString(),
      dateModified: (post.editedAt ?? post.createdAt).toISOString(),
      url: links.permalink(post.id),
      author: { '@type': 'Person', name: post.author.name },
      ...(post.media?.[0] ? { image: links.photo(post.media[0].id) } : {}),
    })),
  };
}

export function pageMeta(source: MetaSource): PageMeta {
  const { stream, posts, links } = source;
  const photo = posts.find(({ post }) => post.media?.length)?.post.media?.[0];
  return {
    canonical: links.page,
    title: stream.title,
    description: stream.description || `Live updates: ${stream.title}`,
    image: photo ? links.photo(photo.id) : undefined,
    atom: links.atom,
    json: links.json,
    jsonLd: jsonForScript(liveBlogPosting(source)),
  };
}
