import type { Logger } from 'pino';
import type { Latest, StreamProjection } from '../stream/projection.ts';
import { changeFrame, helloFrame, PING_FRAME } from './frames.ts';

export interface HubOptions {
  /** How often viewers get a ping frame and a liveness probe. Browsers cannot see websocket pings,
   *  and proxies drop idle connections at about 60 s: 20 s keeps both happy. */
  heartbeatMs: number;
  /** Unsent bytes past which a viewer is cut off (it reconnects and resumes by seq), so one
   *  stalled viewer cannot grow the server's memory. */
  maxBufferedBytes: number;
}

/**
 * One viewer's connection, whatever carries it (websocket, Server-Sent Events). The hub only sends
 * text frames and asks how much is still unsent.
 */
export interface ViewerTransport {
  /** Sends one frame; `seq` is given for change frames (SSE uses it as the event id). */
  send(frame: string, seq?: number): void;
  bufferedBytes(): number;
  /** A transport-level liveness check; calls `onAlive` when the peer answers. */
  probe(): void;
  onAlive(callback: () => void): void;
  onClose(callback: () => void): void;
  /** Closes politely (server restart): the client reconnects and resumes. */
  close(reason: string): void;
  /** Drops a dead or hopelessly slow connection at once. */
  terminate(): void;
}

interface Viewer {
  transport: ViewerTransport;
  /** The last seq this viewer was sent: changes at or before it are never sent again. */
  lastSeq: number;
  alive: boolean;
}

interface Room {
  viewers: Set<Viewer>;
  unsubscribe(): void;
}

/**
 * Who watches which stream, and the delivery to them. It knows projections and transports, not
 * HTTP: a route hands it an open transport and a resume point.
 */
export class LiveHub {
  private readonly rooms = new Map<string, Room>();
  private readonly heartbeat: NodeJS.Timeout;

  constructor(
    private readonly logger: Logger,
    private readonly options: HubOptions,
  ) {
    this.heartbeat = setInterval(() => this.beat(), options.heartbeatMs);
    this.heartbeat.unref();
  }

  /**
   * Starts a viewer: hello, then every change after `since` (compacted, from memory), then live.
   * The replay is read from memory in the same tick as the subscription, so no change can fall
   * between the two; `lastSeq` still guards against any frame arriving twice.
   */
  attach(projection: StreamProjection, transport: ViewerTransport, since: number): void {
    const room = this.room(projection);
    const viewer: Viewer = { transport, lastSeq: since, alive: true };
    transport.send(helloFrame(projection));
    for (const latest of projection.changesSince(since)) this.send(viewer, latest);
    viewer.lastSeq = projection.head;
    room.viewers.add(viewer);
    transport.onAlive(() => (viewer.alive = true));
    transport.onClose(() => this.detach(projection.slug, viewer));
  }

  viewerCount(slug: string): number {
    return this.rooms.get(slug)?.viewers.size ?? 0;
  }

  /** Every stream with viewers here, and how many. */
  counts(): Map<string, number> {
    return new Map([...this.rooms].map(([slug, room]) => [slug, room.viewers.size]));
  }

  /** Sends the same frame to every viewer of a stream (viewer counts). */
  broadcast(slug: string, frame: string): void {
    for (const viewer of this.rooms.get(slug)?.viewers ?? []) this.deliver(viewer, frame);
  }

  /** Closes every connection (server shutdown): clients reconnect elsewhere and resume by seq. */
  close(): void {
    clearInterval(this.heartbeat);
    for (const room of this.rooms.values()) {
      room.unsubscribe();
      for (const viewer of room.viewers) viewer.transport.close('server restarting');
    }
    this.rooms.clear();
  }

  private room(projection: StreamProjection): Room {
    let room = this.rooms.get(projection.slug);
    if (!room) {
      const viewers = new Set<Viewer>();
      const onChange = (latest: Latest) => {
        for (const viewer of viewers) this.send(viewer, latest);
      };
      projection.on('change', onChange);
      room = { viewers, unsubscribe: () => projection.off('change', onChange) };
      this.rooms.set(projection.slug, room);
    }
    return room;
  }

  private send(viewer: Viewer, latest: Latest): void {
    if (latest.seq <= viewer.lastSeq) return;
    viewer.lastSeq = latest.seq;
    this.deliver(viewer, changeFrame(latest), latest.seq);
  }

  private deliver(viewer: Viewer, frame: string, seq?: number): void {
    if (viewer.transport.bufferedBytes() > this.options.maxBufferedBytes) {
      this.logger.warn({ buffered: viewer.transport.bufferedBytes() }, 'dropping a viewer that cannot keep up');
      viewer.transport.terminate();
      return;
    }
    viewer.transport.send(frame, seq);
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
          viewer.transport.terminate(); // no answer since the last beat: the link is dead
          continue;
        }
        viewer.alive = false;
        viewer.transport.probe();
        this.deliver(viewer, PING_FRAME);
      }
    }
  }
}
