import type { FastifyError } from 'fastify';

// What a person sees when a page fails: a plain heading, a sentence saying what happened and what
// to do, and links back. JSON clients get the codes and exact messages instead (errors.ts).

export interface ErrorPage {
  heading: string;
  detail: string;
  links: { href: string; text: string }[];
}

const HEADINGS: Record<number, string> = {
  400: 'That request did not make sense to us',
  401: 'Please log in first',
  403: 'You are not allowed to do that',
  404: 'We could not find that page',
  405: 'That does not work here',
  409: 'That clashed with another change',
  413: 'That was too large',
  415: 'We cannot take that kind of file',
  429: 'Slow down a little',
  503: 'Livelog is busy just now',
};

const UNEXPECTED = 'Something in the address or the form was not what we expected. Go back and try again.';

const DETAILS: Record<number, string> = {
  400: UNEXPECTED,
  401: 'This needs you to be logged in.',
  403: 'Your account may not do this here. If you think it should, ask an organiser.',
  404: 'There is nothing at this address. Check the link, or start from the list of live streams.',
  405: 'This address does not take that kind of request.',
  409: 'Someone changed the same thing at the same moment. Reload the page and try again.',
  413: 'What you sent is larger than Livelog accepts. Try a smaller photo or a shorter text.',
  415: 'Livelog takes photos in JPEG, PNG, WebP, GIF, AVIF or HEIF.',
  429: 'You sent many requests in a short time. Wait a minute, then try again.',
  503: 'The server is busy or cannot reach its database for a moment. Nothing was lost: try again in a few seconds.',
};

/** Livelog's own messages are written for people, except these, which speak HTTP. */
const TECHNICAL = new Set(['LIVELOG_KEY_REUSED', 'LIVELOG_NOT_A_FILE', 'LIVELOG_PHOTOS_NOT_ACCEPTED', 'LIVELOG_BROKEN_MULTIPART']);

const NOT_FOUND: Record<string, [string, string]> = {
  LIVELOG_STREAM_NOT_FOUND: ['We could not find that stream', 'There is no stream at this address. It may have been mistyped, or never created.'],
  LIVELOG_POST_NOT_FOUND: ['We could not find that update', 'This update is not in the stream: it may have been deleted, or the link mistyped.'],
  LIVELOG_MEDIA_NOT_FOUND: ['We could not find that photo', 'The photo may have been removed with its update.'],
};

export function errorPage(statusCode: number, code: string, message: string, request: { url: string; method: string }, error?: FastifyError): ErrorPage {
  const [named, namedDetail] = NOT_FOUND[code] ?? [];
  const heading = named ?? HEADINGS[statusCode] ?? (statusCode >= 500 ? 'Something went wrong on our side' : 'That did not work');
  const detail = error?.validation
    ? validationSentence(error)
    : (namedDetail ??
      (code === 'LIVELOG_CSRF'
        ? 'The form had expired or came from another site. Go back, reload the page and try again.'
        : code.startsWith('LIVELOG_') && !TECHNICAL.has(code) && !code.endsWith('_NOT_FOUND') && statusCode < 500 && !/^[a-z]+\//.test(message)
          ? sentence(message)
          : (DETAILS[statusCode] ?? (statusCode >= 500 ? 'It has been logged. Try again in a moment.' : UNEXPECTED))));
  return { heading, detail, links: waysBack(statusCode, code, request) };
}

/** A schema failure in words: which part of the address or form, never the validator's text. */
function validationSentence(error: FastifyError): string {
  const field = error.validation?.[0]?.instancePath.split('/').filter(Boolean)[0] ?? (error.validation?.[0]?.params as { missingProperty?: string })?.missingProperty;
  switch (error.validationContext) {
    case 'params':
      return field === 'slug'
        ? 'That is not a stream address: stream addresses use only lower-case letters, digits and dashes, like /s/launch-2026.'
        : 'That address is not one Livelog makes. Check the link, or start from the list of live streams.';
    case 'querystring':
      return 'The link carries a setting we do not understand. Try the page without the part after “?”.';
    default:
      return field ? `The form field “${field}” was missing or not filled in as expected. Go back and check it.` : UNEXPECTED;
  }
}

function sentence(message: string): string {
  const text = message.charAt(0).toUpperCase() + message.slice(1);
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

function waysBack(statusCode: number, code: string, { url, method }: { url: string; method: string }): ErrorPage['links'] {
  const links: ErrorPage['links'] = [];
  const [path = '/'] = url.split('?');
  const stream = /^\/s\/([a-z0-9-]{1,64})\/./.exec(path)?.[1];
  if (stream && code !== 'LIVELOG_STREAM_NOT_FOUND') links.push({ href: `/s/${stream}`, text: 'Back to the stream' });
  if (statusCode === 401 || (statusCode === 403 && code !== 'LIVELOG_CSRF')) links.push({ href: `/login?next=${encodeURIComponent(path)}`, text: 'Log in' });
  if ((statusCode === 429 || statusCode === 503) && method === 'GET' && !url.startsWith('//')) links.push({ href: url, text: 'Try again' });
  links.push({ href: '/', text: 'See all live streams' });
  return links;
}
