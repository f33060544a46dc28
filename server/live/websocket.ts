import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import type { ViewerTransport } from './transport.ts';
import { CLOSE_GOING_AWAY, CLOSE_POLICY_VIOLATION } from '../../shared/protocol.ts';

/**
 * What a viewer may send. The page's script sends nothing on the socket, so anything beyond a few
 * small messages a minute is a client misusing the connection: each message costs a parse and a
 * wake-up, and an answer we never asked for must not keep a link alive.
 */
export class InboundBudget {
  private windowStart = 0;
  private messages = 0;
  private bytes = 0;

  constructor(
    private readonly maxMessages = 5,
    private readonly maxBytes = 1024,
    private readonly windowMs = 60_000,
  ) {}

  /** Counts one message; false once the viewer has sent more than its share this window. */
  spend(bytes: number, now = Date.now()): boolean {
    if (now - this.windowStart >= this.windowMs) {
      this.windowStart = now;
      this.messages = 0;
      this.bytes = 0;
    }
    this.messages++;
    this.bytes += bytes;
    return this.messages <= this.maxMessages && this.bytes <= this.maxBytes;
  }
}

const PROBE_BYTES = 8;
let probePool = Buffer.alloc(0);
let probeOffset = 0;

/** 8 unpredictable bytes for a probe, cut from a pool: one call for the randomness of 1,024 probes
 *  rather than one per viewer per heartbeat. A spent pool is replaced, never refilled, so a
 *  payload still awaited is never overwritten. */
function probePayload(): Buffer {
  if (probeOffset + PROBE_BYTES > probePool.length) {
    probePool = randomBytes(PROBE_BYTES * 1024);
    probeOffset = 0;
  }
  probeOffset += PROBE_BYTES;
  return probePool.subarray(probeOffset - PROBE_BYTES, probeOffset);
}

/**
 * A viewer on a websocket. Liveness: protocol-level ping/pong (the browser answers by itself), and
 * only a pong that echoes the random payload of our latest ping counts. The ping sits behind every
 * frame sent before it, so a peer can only echo it by reading them all: a client that sends pongs
 * of its own but never reads (what the kernel holds included) is cut at the next heartbeat.
 * `tcp` is the connection under the websocket, where the kernel's progress is visible.
 */
export function websocketTransport(socket: WebSocket, tcp: Socket, budget = new InboundBudget()): ViewerTransport {
  socket.on('error', () => socket.terminate());
  let expected: Buffer | undefined;
  let aliveCallback: (() => void) | undefined;
  const overspent = (bytes: number) => {
    if (budget.spend(bytes)) return false;
    socket.close(CLOSE_POLICY_VIOLATION, 'viewers do not send messages');
    return true;
  };
  socket.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => {
    overspent(Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : data.byteLength);
  });
  socket.on('pong', (data: Buffer) => {
    if (expected && data.equals(expected)) {
      expected = undefined;
      aliveCallback?.();
    } else {
      overspent(data.length); // unsolicited: counts like any other message
    }
  });
  return {
    kind: 'websocket',
    send: (frame) => {
      if (socket.readyState !== socket.OPEN) return; // closing: nothing may follow its close frame
      // The frame's bytes go straight to the connection, unless ws itself still holds data (its
      // sender queues while it compresses or reads a blob): then through ws, so nothing overtakes it.
      if (socket.bufferedAmount === tcp.writableLength) tcp.write(frame.websocketBytes());
      else socket.send(frame.text);
    },
    batch: (sends) => {
      tcp.cork();
      try {
        sends();
      } finally {
        tcp.uncork();
      }
    },
    bufferedBytes: () => socket.bufferedAmount,
    deliveredBytes: () => tcp.bytesWritten - tcp.writableLength,
    probe: () => {
      if (socket.readyState !== socket.OPEN) return;
      expected = probePayload();
      socket.ping(expected);
    },
    onAlive: (callback) => (aliveCallback = callback),
    onClose: (callback) => socket.on('close', callback),
    close: (reason) => socket.close(CLOSE_GOING_AWAY, reason),
    terminate: () => socket.terminate(),
  };
}
