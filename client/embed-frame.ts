// Inside the embed: tell the host page how tall the content is, whenever that changes, so its
// frame shows everything without a scrollbar of its own.
import { heightMessage } from './embed-message.ts';

export function reportHeight(stream: string): void {
  if (window.parent === window) return;
  const content = document.querySelector('main') ?? document.body;
  let last = -1;
  const send = () => {
    // The content's own height, not the document's: that one is at least the frame's, so it could
    // grow with the frame but never shrink (a deleted post).
    const height = content.getBoundingClientRect().bottom + window.scrollY;
    if (height === last) return;
    last = height;
    // Any host may frame the embed (LIVELOG_EMBED_ORIGINS) and the message holds only a height.
    window.parent.postMessage(heightMessage(stream, height), '*');
  };
  new ResizeObserver(send).observe(content);
  send();
}
