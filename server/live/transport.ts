import type { TransportKind } from '../metrics/metrics.ts';
import type { OutboundFrame } from './outbound.ts';

/**
 * One viewer's connection, whatever carries it (websocket, Server-Sent Events). The hub only sends
 * frames and asks how much is still unsent and how much the peer has taken; a new transport is a
 * new file that returns one of these.
 */
export interface ViewerTransport {
  /** What carries it: viewers are counted per transport. */
  readonly kind: TransportKind;
  /** Sends one frame: the bytes it has for this transport, shared with every other viewer. */
  send(frame: OutboundFrame): void;
  /** Runs `send` calls made in `sends` as one write to the connection (a replay, say). */
  batch(sends: () => void): void;
  /** Bytes written but still held in this process, waiting for the kernel to take them. */
  bufferedBytes(): number;
  /** Bytes the kernel has taken so far: it stops moving when the peer stops reading. */
  deliveredBytes(): number;
  /** A transport-level liveness check; calls `onAlive` when the peer answers. */
  probe(): void;
  onAlive(callback: () => void): void;
  onClose(callback: () => void): void;
  /** Closes politely (server restart): the client reconnects and resumes. */
  close(reason: string): void;
  /** Drops a dead or hopelessly slow connection at once. */
  terminate(): void;
}
