// Where a stream's things live, for the site (absolute, from LIVELOG_PUBLIC_URL or the request) and
// for the export (relative to its own folder, so it works from disk). Feeds, JSON-LD and sharing
// tags take one of these, so the live site and the export are built by the same code.

export interface StreamLinks {
  /** The stream's page. */
  page: string;
  permalink(postId: string): string;
  photo(mediaId: string): string;
  atom: string;
  json: string;
  /** Post HTML made to stand on its own (in a feed reader): its root-relative links made absolute. */
  standalone(html: string): string;
}

/** The site's address without a trailing slash: the configured one, else what the request named. */
export function siteBase(publicUrl: string | undefined, request: { protocol: string; host?: string }): string {
  if (publicUrl) return publicUrl.replace(/\/+$/, '');
  // Only a well-formed host name (and port) from the request; anything else is not worth echoing.
  const host = /^[A-Za-z0-9.-]+(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$/.test(request.host ?? '') ? request.host : 'localhost';
  return `${request.protocol}://${host}`;
}

export function siteLinks(base: string, slug: string): StreamLinks {
  const page = `${base}/s/${slug}`;
  return {
    page,
    permalink: (postId) => `${page}/p/${postId}`,
    photo: (mediaId) => `${page}/media/${mediaId}.webp`,
    atom: `${page}/feed.xml`,
    json: `${page}/feed.json`,
    // Post HTML is built by our own partial and sanitised: an attribute starting with "/" is one of
    // our own paths (Markdown links need a scheme), never a protocol-relative address.
    standalone: (html) => html.replace(/ (href|src)="\//g, ` $1="${base}/`),
  };
}

/**
 * Links inside an exported folder: index.html, its #post-ID anchors, media/ and the feed files.
 * Relative (the folder works from disk), or absolute under `baseUrl`, the address the folder will be
 * published at, which feed readers and search engines need (`npm run export -- … --base-url URL`).
 */
export function exportLinks(baseUrl = ''): StreamLinks {
  const base = baseUrl && !baseUrl.endsWith('/') ? `${baseUrl}/` : baseUrl;
  return {
    page: `${base}index.html`,
    permalink: (postId) => `${base}index.html#post-${postId}`,
    photo: (mediaId) => `${base}media/${mediaId}.webp`,
    atom: `${base}feed.xml`,
    json: `${base}feed.json`,
    // Feed content links its photos through photo() above; the post text's own links are absolute.
    standalone: (html) => html,
  };
}

/** A viewer link: the stream's page with the key that lets its holder watch a private stream. */
export function viewerLink(base: string, slug: string, key: string): string {
  return `${base}/s/${slug}?key=${key}`;
}
