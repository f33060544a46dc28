import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import type { PostView, StreamProjection } from '../stream/projection.ts';
import { helloFrame, PING_FRAME, postFrame } from './frames.ts';

/** Unsent bytes past which a viewer is cut off; it reconnects and resumes by seq. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
/** Browsers cannot see websocket pings, and proxies drop idle connections at about 60 s. */
const HEARTBEAT_MS = 20_000;

interface Viewer {
  socket: WebSocket;
  /** The last seq this viewer was sent: frames at or before it are never sent again. */
  lastSeq: number;
  alive: boolean;
}

interface Room {
  viewers: Set<Viewer>;
  unsubscribe(): void;
}

/**
 * Who watches which stream, and the delivery to them. It knows projections and sockets, not HTTP:
 * a route hands it an open socket and a resume point.
 */
export class LiveHub {
  private readonly rooms = new Map<string, Room>();
  private readonly heartbeat: NodeJS.Timeout;

  constructor(private readonly logger: Logger) {
    this.heartbeat = setInterval(() => this.beat(), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  /**
   * Starts a viewer: hello, then every change after `since` (compacted, from memory), then live.
   * Replay is synchronous from the projection, so no live change can slip in between the replay
   * and the subscription; `lastSeq` still guards against any frame arriving twice.
   */
  attach(projection: StreamProjection, socket: WebSocket, since: number): void {
    const room = this.room(projection);
    const viewer: Viewer = { socket, lastSeq: since, alive: true };
    socket.send(helloFrame(projection));
    for (const view of projection.changesSince(since)) this.send(viewer, view);
    viewer.lastSeq = projection.head;
    room.viewers.add(viewer);
    socket.on('pong', () => (viewer.alive = true));
    socket.on('message', () => (viewer.alive = true));
    socket.on('close', () => this.detach(projection.slug, viewer));
    socket.on('error', () => socket.terminate());
  }

  viewerCount(slug: string): number {
    return this.rooms.get(slug)?.viewers.size ?? 0;
  }

  /** Closes every socket (server shutdown): clients reconnect elsewhere and resume by seq. */
  close(): void {
    clearInterval(this.heartbeat);
    for (const room of this.rooms.values()) {
      room.unsubscribe();
      for (const viewer of room.viewers) viewer.socket.close(1001, 'server restarting');
    }
    this.rooms.clear();
  }

  private room(projection: StreamProjection): Room {
    let room = this.rooms.get(projection.slug);
    if (!room) {
      const viewers = new Set<Viewer>();
      const onChange = (view: PostView) => {
        for (const viewer of viewers) this.send(viewer, view);
      };
      projection.on('change', onChange);
      room = { viewers, unsubscribe: () => projection.off('change', onChange) };
      this.rooms.set(projection.slug, room);
    }
    return room;
  }

  private send(viewer: Viewer, view: PostView): void {
    if (view.seq <= viewer.lastSeq) return;
    viewer.lastSeq = view.seq;
    if (viewer.socket.bufferedAmount > MAX_BUFFERED_BYTES) {
      this.logger.warn({ bufferedAmount: viewer.socket.bufferedAmount }, 'closing a viewer that cannot keep up');
      viewer.socket.terminate();
      return;
    }
    viewer.socket.send(postFrame(view));
  }

  private detach(slug: string, viewer: Viewer): void {
    const room = this.rooms.get(slug);
    if (!room) return;
    room.viewers.delete(viewer);
    if (room.viewers.size === 0) {
      room.unsubscribe();
      this.rooms.delete(slug);
    }
  }

  private beat(): void {
    for (const room of this.rooms.values()) {
      for (const viewer of room.viewers) {
        if (!viewer.alive) {
          viewer.socket.terminate(); // no pong since the last beat: the link is dead
          continue;
        }
        viewer.alive = false;
        viewer.socket.ping();
        viewer.socket.send(PING_FRAME);
      }
    }
  }
}
