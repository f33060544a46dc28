// The host page's side of the embed snippet (served as /assets/embed.js): sizes each Livelog frame
// to the height its page reports. Only messages from the Livelog origin this script came from, of
// the one known shape, from one of the frames it serves, are believed.
import { parseHeightMessage } from './embed-message.ts';

const script = document.currentScript as HTMLScriptElement | null;
const livelogOrigin = script ? new URL(script.src).origin : '';

window.addEventListener('message', (event) => {
  if (!livelogOrigin || event.origin !== livelogOrigin) return;
  const message = parseHeightMessage(event.data);
  if (!message) return;
  for (const frame of document.querySelectorAll<HTMLIFrameElement>('iframe')) {
    if (frame.contentWindow === event.source) frame.style.height = `${message.height}px`;
  }
});
