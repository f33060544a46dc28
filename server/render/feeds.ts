import type { PostSnapshot, StreamRecord } from '../log/records.ts';
import type { StreamLinks } from './links.ts';
import { postTitle, postWords } from './plain-text.ts';
import { postBodyHtml, renderView } from './views.ts';

// A stream as Atom (RFC 4287) and JSON Feed 1.1, for the live site and the export alike: the newest
// posts first, each with its sanitised HTML and its plain text, dated by its last edit.

/** How many posts a feed carries: the newest ones. */
export const FEED_SIZE = 50;

export interface FeedPost {
  post: PostSnapshot;
}

export interface FeedSource {
  stream: StreamRecord;
  /** Newest first. */
  posts: FeedPost[];
  /** The time of the stream's last change readers saw. */
  updated: Date;
  links: StreamLinks;
}

interface FeedItem {
  id: string;
  url: string;
  title: string;
  html: string;
  text: string;
  author: string;
  published: Date;
  updated: Date;
  image?: string;
}

/** The newest posts by creation, whatever is pinned: a feed is a timeline. */
export function newestPosts<T extends { post: PostSnapshot }>(posts: T[], limit = FEED_SIZE): T[] {
  return [...posts].sort((a, b) => b.post.createdSeq - a.post.createdSeq).slice(0, limit);
}

/**
 * What a feed reader shows of a post: its sanitised body and its photos (absolute on the site), not
 * the page's <article> with its buttons and data attributes, which mean nothing outside the page.
 */
export function feedContent(post: PostSnapshot, links: StreamLinks): string {
  const photos = (post.media ?? []).map((m) => ({ ...m, src: links.photo(m.id) }));
  return links.standalone(renderView('partials/feed-post', { bodyHtml: postBodyHtml(post), photos }).trim());
}

function itemsOf({ stream, posts, links }: FeedSource): FeedItem[] {
  return posts.map(({ post }) => ({
    id: `urn:livelog:${stream._id}:post:${post.id}`,
    url: links.permalink(post.id),
    title: postTitle(post),
    html: feedContent(post, links),
    text: postWords(post),
    author: post.author.name,
    published: post.createdAt,
    updated: post.editedAt ?? post.createdAt,
    image: post.media?.[0] ? links.photo(post.media[0].id) : undefined,
  }));
}

/** Characters XML 1.0 does not allow even escaped: a post carrying one must not break the feed. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

export function atomFeed(source: FeedSource): string {
  const { stream, updated, links } = source;
  return renderView('feed', { stream, updated, links, items: itemsOf(source) }).replace(NOT_XML, '');
}

export function jsonFeed(source: FeedSource): Record<string, unknown> {
  const { stream, links } = source;
  return {
    version: 'https://jsonfeed.org/version/1.1',
    title: stream.title,
    home_page_url: links.page,
    feed_url: links.json,
    ...(stream.description ? { description: stream.description } : {}),
    language: 'en',
    items: itemsOf(source).map((item) => ({
      id: item.id,
      url: item.url,
      title: item.title,
      content_html: item.html,
      content_text: item.text,
      date_published: item.published.toISOString(),
      date_modified: item.updated.toISOString(),
      authors: [{ name: item.author }],
      ...(item.image ? { image: item.image } : {}),
    })),
  };
}
