import { EmptyPost, InvalidHeadline, InvalidText, PostTooLong } from '../errors.ts';

// What a post's text may be: checked once, before a change is decided.

export const MAX_BODY_LENGTH = 10_000;
export const MAX_HEADLINE_LENGTH = 140;

export function cleanBody(text: string): string {
  const body = text.replace(/\r\n?/g, '\n').trim();
  if (!body) throw new EmptyPost();
  if (body.length > MAX_BODY_LENGTH) throw new PostTooLong(MAX_BODY_LENGTH);
  if (body.includes('\0')) throw new InvalidText();
  return body;
}

/** A headline as stored: trimmed, one line, bounded; empty means none (undefined). */
export function cleanHeadline(text: string | undefined): string | undefined {
  const headline = (text ?? '').trim();
  if (!headline) return undefined;
  // Control characters include line breaks: a headline is one line.
  if (headline.length > MAX_HEADLINE_LENGTH || /[\p{Cc}\u2028\u2029]/u.test(headline)) {
    throw new InvalidHeadline(MAX_HEADLINE_LENGTH);
  }
  return headline;
}

/** The snapshot with `headline` set, or without the field when there is none. */
export function withHeadline<T extends { headline?: string }>(post: T, headline: string | undefined): T {
  const { headline: _old, ...rest } = post;
  return (headline ? { ...rest, headline } : rest) as T;
}
