import MarkdownIt from 'markdown-it';
import type { PostSnapshot } from '../log/records.ts';

// Feeds and search engines want a post as words: no Markdown marks, no HTML. The text is read from
// the same parser that renders the post (its tokens), so what a reader sees and what a feed says agree.

const parser = new MarkdownIt({ html: false, linkify: true, breaks: true, typographer: false });
type Token = ReturnType<typeof parser.parse>[number];

const TITLE_LENGTH = 80;

function inlineText(children: Token[]): string {
  let text = '';
  for (const token of children) {
    if (token.type === 'text' || token.type === 'code_inline') text += token.content;
    else if (token.type === 'softbreak' || token.type === 'hardbreak') text += '\n';
    else if (token.type === 'image') text += token.content;
  }
  return text;
}

/** A post's Markdown as plain text: one line per line of text, blocks separated by a blank line. */
export function plainText(markdown: string): string {
  const blocks: string[] = [];
  for (const token of parser.parse(markdown, {})) {
    if (token.type === 'inline') blocks.push(inlineText(token.children ?? []));
    else if (token.type === 'fence' || token.type === 'code_block') blocks.push(token.content.replace(/\n$/, ''));
  }
  return blocks
    .map((block) => block.trim())
    .filter(Boolean)
    .join('\n\n');
}

// Snapshots never change (an edit is a new one), so a post's text is worked out once however many
// builders (JSON-LD, Atom, JSON Feed, titles) ask: a 10,000-post export parses each body once.
const texts = new WeakMap<Pick<PostSnapshot, 'body'>, string>();

/** The post's body as plain text, computed once per snapshot. */
export function postText(post: Pick<PostSnapshot, 'body'>): string {
  let text = texts.get(post);
  if (text === undefined) {
    text = plainText(post.body);
    texts.set(post, text);
  }
  return text;
}

/**
 * What a post says in words: its text, else its first photo's description, else "Photo". A post may
 * be a photo alone, and titles, summaries and feed text must not be empty.
 */
export function postWords(post: Pick<PostSnapshot, 'body' | 'media'>): string {
  return postText(post) || post.media?.[0]?.alt.trim() || 'Photo';
}

/** A one-line title: the post's headline, else its first line of words, cut at 80 characters. */
export function postTitle(post: Pick<PostSnapshot, 'headline' | 'body' | 'media'>): string {
  const line = post.headline?.trim() || (postWords(post).split('\n')[0] ?? '').trim();
  return line.length > TITLE_LENGTH ? `${line.slice(0, TITLE_LENGTH - 1)}…` : line;
}
