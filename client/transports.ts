// The browser's two transports behind the connection's `OpenLink`: a websocket, or Server-Sent
// Events where websockets do not get through. Both reach the same hub and replay.
import type { Link, LinkEvents, OpenLink, TransportKind } from './connection.ts';

export function browserTransports(slug: string): OpenLink {
  return (kind: TransportKind, since: string, events: LinkEvents): Link =>
    kind === 'websocket' ? openWebsocket(slug, since, events) : openSse(slug, since, events);
}

function openWebsocket(slug: string, since: string, events: LinkEvents): Link {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const socket = new WebSocket(`${scheme}://${location.host}/s/${slug}/live?since=${since}`);
  socket.onopen = () => events.opened();
  socket.onmessage = (event) => events.message(String(event.data));
  socket.onclose = (event) => events.closed(event.code);
  return { close: () => socket.close() };
}

function openSse(slug: string, since: string, events: LinkEvents): Link {
  const source = new EventSource(`/s/${slug}/events?since=${since}`);
  source.onopen = () => events.opened();
  source.onmessage = (event) => events.message(event.data);
  // EventSource would retry by itself; we retry ourselves so the resume point is always ours.
  source.onerror = () => events.closed();
  return { close: () => source.close() };
}
