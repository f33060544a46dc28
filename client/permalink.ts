// A permalink page (/s/SLUG/p/ID) shows the post in its context: scrolled into view and focused,
// once, so a keyboard or screen-reader user starts there too.

export function focusHighlighted(root: ParentNode): void {
  const post = root.querySelector<HTMLElement>('article.highlighted');
  if (!post) return;
  if (!post.hasAttribute('tabindex')) post.tabIndex = -1;
  post.scrollIntoView({ block: 'center' });
  post.focus({ preventScroll: true });
}
