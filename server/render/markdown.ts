import MarkdownIt from 'markdown-it';
import sanitizeHtml from 'sanitize-html';

// Authors write Markdown. Raw HTML is off (it shows as text), only http, https and mailto links
// become links, and the result still goes through an allowlist sanitiser: two independent locks,
// so a parser bug alone cannot put a script in front of viewers.

const LINK_SCHEMES = ['http', 'https', 'mailto'];

const markdown = new MarkdownIt({ html: false, linkify: true, breaks: true, typographer: false });
markdown.validateLink = (url: string) => {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url.trim())?.[1]?.toLowerCase();
  return scheme !== undefined && LINK_SCHEMES.includes(scheme);
};

const SANITIZE: sanitizeHtml.IOptions = {
  allowedTags: [
    'p', 'br', 'strong', 'em', 'del', 's', 'a', 'ul', 'ol', 'li', 'blockquote', 'code', 'pre',
    'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'hr', 'table', 'thead', 'tbody', 'tr', 'th', 'td',
  ],
  // No style attributes: the page's Content-Security-Policy allows no inline styles.
  allowedAttributes: { a: ['href', 'rel', 'target'], ol: ['start'] },
  allowedSchemes: LINK_SCHEMES,
  allowedSchemesAppliedToAttributes: ['href'],
  allowProtocolRelative: false,
  transformTags: {
    // Links in posts lead away from the event: no referrer, no access to this page, no SEO credit.
    a: sanitizeHtml.simpleTransform('a', { rel: 'nofollow noopener noreferrer ugc', target: '_blank' }),
  },
};

/** Markdown source to HTML that is safe to put in any viewer's page. */
export function renderMarkdown(source: string): string {
  return sanitizeHtml(markdown.render(source), SANITIZE);
}
