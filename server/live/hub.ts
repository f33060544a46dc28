import type { Logger } from 'pino';
import type { CurrentState } from '../log/fold.ts';
import type { StreamProjection } from '../log/projection.ts';
import { changeFrame, helloFrame, PING_FRAME } from './frames.ts';

export interface HubOptions {
  /** How often viewers get a ping frame and a liveness probe. Browsers cannot see websocket pings,
   *  and proxies drop idle connections at about 60 s: 20 s keeps both happy. */
  heartbeatMs: number;
  /** Unsent bytes past which a viewer is cut off (it reconnects and resumes by seq), so one
   *  stalled viewer cannot grow the server's memory. */
  maxBufferedBytes: number;
  /** How long a viewer may leave data waiting without the kernel taking a byte of it. A viewer
   *  that stops reading but keeps its link alive would otherwise hold the server's buffers until
   *  the byte bound; checked at each heartbeat, so a cut comes within this plus one heartbeat. */
  stallMs: number;
}

/**
 * One viewer's connection, whatever carries it (websocket, Server-Sent Events). The hub only sends
 * text frames and asks how much is still unsent and how much the peer has taken.
 */
export interface ViewerTransport {
  /** Sends one frame; `seq` is given for change frames (SSE uses it as the event id). */
  send(frame: string, seq?: number): void;
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

interface Viewer {
  transport: ViewerTransport;
  /** The last seq this viewer was sent: changes at or before it are never sent again. */
  lastSeq: number;
  alive: boolean;
  /** `deliveredBytes()` at the last heartbeat, and when it last moved (or nothing was waiting). */
  delivered: number;
  progressAt: number;
}

interface Room {
  projection: StreamProjection;
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
    const viewer: Viewer = { transport, lastSeq: since, alive: true, delivered: transport.deliveredBytes(), progressAt: Date.now() };
    transport.send(helloFrame(projection));
    for (const latest of projection.changesSince(since)) this.send(viewer, latest, projection.slug);
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

  /** Whether anyone here watches the stream: a watched stream's projection must stay open. */
  isWatched(slug: string): boolean {
    return this.rooms.has(slug);
  }

  /** The projections viewers here are attached to: the ones worth probing for others' changes. */
  *watchedProjections(): Iterable<StreamProjection> {
    for (const room of this.rooms.values()) yield room.projection;
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
      const onChange = (latest: CurrentState) => {
        for (const viewer of viewers) this.send(viewer, latest, projection.slug);
      };
      projection.on('change', onChange);
      room = { projection, viewers, unsubscribe: () => projection.off('change', onChange) };
      this.rooms.set(projection.slug, room);
    }
    return room;
  }

  private send(viewer: Viewer, latest: CurrentState, stream: string): void {
    if (latest.seq <= viewer.lastSeq) return;
    viewer.lastSeq = latest.seq;
    this.deliver(viewer, changeFrame(latest, stream), latest.seq);
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

  /**
   * A viewer has stalled when data waits in this process and the kernel has taken nothing more of
   * it for `stallMs`. Data the kernel holds shows up here too: once the peer's window and our
   * socket buffer are full, our own buffer starts to grow and `deliveredBytes` stops.
   */
  private stalled(viewer: Viewer, now: number): boolean {
    const delivered = viewer.transport.deliveredBytes();
    if (viewer.transport.bufferedBytes() === 0 || delivered !== viewer.delivered) {
      viewer.delivered = delivered;
      viewer.progressAt = now;
      return false;
    }
    return now - viewer.progressAt >= this.options.stallMs;
  }

  /** One heartbeat: cut dead and stalled viewers, probe and ping the rest. */
  beat(now = Date.now()): void {
    for (const room of this.rooms.values()) {
      for (const viewer of room.viewers) {
        if (!viewer.alive) {
          viewer.transport.terminate(); // no answer since the last beat: the link is dead
          continue;
        }
        if (this.stalled(viewer, now)) {
          this.logger.warn({ stream: room.projection.slug, buffered: viewer.transport.bufferedBytes(), stalledMs: now - viewer.progressAt }, 'dropping a viewer that stopped reading');
          viewer.transport.terminate();
          continue;
        }
        viewer.alive = false;
        viewer.transport.probe();
        this.deliver(viewer, PING_FRAME);
      }
    }
  }
}
