// Inside the embed: tell the host page how tall the content is, whenever that changes, so its
// frame shows everything without a scrollbar of its own.
import { heightMessage } from './embed-message.ts';

export function reportHeight(stream: string): void {
  if (window.parent === window) return;
  let last = -1;
  const send = () => {
    const height = document.documentElement.scrollHeight;
    if (height === last) return;
    last = height;
    // Any host may frame the embed (LIVELOG_EMBED_ORIGINS) and the message holds only a height.
    window.parent.postMessage(heightMessage(stream, height), '*');
  };
  new ResizeObserver(send).observe(document.body);
  send();
}
