import type { ServerResponse } from 'node:http';
import type { ViewerTransport } from './transport.ts';

/**
 * A viewer on Server-Sent Events, for networks where websockets do not get through. Change frames
 * carry `id: EPOCH.SEQ`, so the browser's own reconnect sends Last-Event-ID and resumes exactly.
 */
export function sseTransport(response: ServerResponse, epoch: string): ViewerTransport {
  response.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    'x-accel-buffering': 'no', // nginx: do not hold events back
    connection: 'keep-alive',
  });
  response.write('retry: 2000\n\n');
  let closed = false;
  const closeCallbacks: (() => void)[] = [];
  let aliveCallback: (() => void) | undefined;
  const markClosed = () => {
    if (closed) return;
    closed = true;
    for (const callback of closeCallbacks) callback();
  };
  response.on('close', markClosed);
  response.on('error', markClosed);
  if (response.destroyed) closed = true;
  const tcp = response.socket;
  return {
    kind: 'sse',
    send: (frame) => {
      if (!closed) response.write(frame.sseBytes(epoch));
    },
    batch: (sends) => {
      response.cork();
      try {
        sends();
      } finally {
        response.uncork();
      }
    },
    bufferedBytes: () => response.writableLength,
    deliveredBytes: () => (tcp ? tcp.bytesWritten - tcp.writableLength : 0),
    // No way to ask the peer: a dead or non-reading one shows up as a write error, a growing
    // buffer or no progress in what the kernel takes (the hub's stall rule) instead.
    probe: () => aliveCallback?.(),
    onAlive: (callback) => (aliveCallback = callback),
    // Told even when the peer left before anyone asked: the hub must detach every viewer it attaches.
    onClose: (callback) => (closed ? queueMicrotask(callback) : closeCallbacks.push(callback)),
    close: () => response.end(),
    terminate: () => response.destroy(),
  };
}
