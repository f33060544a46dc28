import type { WebSocket } from 'ws';
import type { ViewerTransport } from './hub.ts';

/** A viewer on a websocket. Liveness: protocol-level ping/pong (the browser answers by itself). */
export function websocketTransport(socket: WebSocket): ViewerTransport {
  socket.on('error', () => socket.terminate());
  return {
    send: (frame) => {
      if (socket.readyState === socket.OPEN) socket.send(frame);
    },
    bufferedBytes: () => socket.bufferedAmount,
    probe: () => {
      if (socket.readyState === socket.OPEN) socket.ping();
    },
    onAlive: (callback) => {
      socket.on('pong', callback);
      socket.on('message', callback);
    },
    onClose: (callback) => socket.on('close', callback),
    close: (reason) => socket.close(1001, reason),
    terminate: () => socket.terminate(),
  };
}
