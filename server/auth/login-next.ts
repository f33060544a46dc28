/** Where a `next` leads when it is missing or not safe to follow. */
export const HOME = '/';
/** Longer than any page of ours needs: a longer `next` is someone probing, not a link. */
const MAX_NEXT_LENGTH = 1000;

const BASE = 'http://livelog.invalid';
// Control, format (zero-width, bidi), line and paragraph separators, and backslashes: browsers
// strip or reinterpret them, and Node refuses some of them in a header (which used to end the
// process when a session save wrote the Location header).
const FORBIDDEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\\]/u;

/**
 * The page to send someone to after they log in: only a path on this site, serialised as ASCII
 * (percent-encoded) so it is always a valid Location header. Anything else leads home.
 */
export function safeNext(next: string | undefined): string {
  if (!next || next.length > MAX_NEXT_LENGTH || !next.startsWith('/') || next.startsWith('//')) return HOME;
  if (FORBIDDEN.test(next) || FORBIDDEN.test(percentDecoded(next) ?? '\\')) return HOME;
  let url: URL;
  try {
    url = new URL(next, BASE);
  } catch {
    return HOME;
  }
  const path = url.pathname + url.search + url.hash;
  // Dot segments can fold into a leading `//` ("/.//evil.com" has the path "//evil.com"), which a
  // browser reads as another host.
  if (url.origin !== BASE || path.startsWith('//')) return HOME;
  return path;
}

/** The value with percent escapes undone, or null when they do not decode (stray `%`, bad UTF-8):
 *  a value we cannot read is one we do not follow. */
function percentDecoded(value: string): string | null {
  try {
    return decodeURIComponent(value);
  } catch {
    return null;
  }
}
