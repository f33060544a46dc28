import type { Logger } from 'pino';
import { PING_FRAME } from './frames.ts';
import { OutboundFrame } from './outbound.ts';
import type { ViewerTransport } from './transport.ts';
import type { LiveChange, LiveFeed, LiveStream } from './live-stream.ts';
import { countViewerCut, type CutReason, observeDelivery, observeReplay, type TransportKind, type ViewerSource } from '../metrics/metrics.ts';

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

const PING = new OutboundFrame(PING_FRAME);
/** The heartbeat visits a tenth of the viewers at a time: 10,000 viewers probed at once held the
 *  event loop for half a second, and a post arriving meanwhile waited behind them. */
const HEARTBEAT_SLICES = 10;

interface Viewer {
  transport: ViewerTransport;
  /** The last seq this viewer was sent: changes at or before it are never sent again. */
  lastSeq: number;
  alive: boolean;
  /** Set once the hub cuts it: its close may come later, and it is cut (and counted) once. */
  cut: boolean;
  /** `deliveredBytes()` at the last heartbeat, and when it last moved (or nothing was waiting). */
  delivered: number;
  progressAt: number;
  /** Which tick of the heartbeat visits it. */
  slice: number;
}

interface Room<Stream> {
  stream: Stream;
  viewers: Set<Viewer>;
  unsubscribe(): void;
}

/**
 * Who watches which stream, and the delivery to them. It knows streams through `LiveStream` and
 * viewers through `ViewerTransport`, not HTTP: a route hands it an open transport and a resume point.
 */
export class LiveHub<Stream extends LiveStream<Change>, Change extends LiveChange> implements ViewerSource {
  private readonly rooms = new Map<string, Room<Stream>>();
  private readonly heartbeat: NodeJS.Timeout;
  private attached = 0;
  private tick = 0;

  constructor(
    private readonly logger: Logger,
    private readonly options: HubOptions,
    private readonly feed: LiveFeed<Stream, Change>,
  ) {
    this.heartbeat = setInterval(() => this.beat(Date.now(), this.tick++ % HEARTBEAT_SLICES), options.heartbeatMs / HEARTBEAT_SLICES);
    this.heartbeat.unref();
  }

  /**
   * Starts a viewer: hello, then every change after `since` (compacted, from memory), then live.
   * The replay is read from memory in the same tick as the subscription, so no change can fall
   * between the two; `lastSeq` still guards against any frame arriving twice.
   */
  attach(stream: Stream, transport: ViewerTransport, since: number): void {
    const room = this.room(stream);
    const slice = this.attached++ % HEARTBEAT_SLICES;
    const viewer: Viewer = { transport, lastSeq: since, alive: true, cut: false, delivered: transport.deliveredBytes(), progressAt: Date.now(), slice };
    const replay = stream.changesSince(since);
    // One write for the hello and the whole replay, not one per frame.
    transport.batch(() => {
      transport.send(new OutboundFrame(this.feed.hello(stream)));
      for (const change of replay) this.send(viewer, stream, change);
    });
    observeReplay(replay.length);
    viewer.lastSeq = stream.head;
    room.viewers.add(viewer);
    transport.onAlive(() => (viewer.alive = true));
    transport.onClose(() => this.detach(stream.slug, viewer));
  }

  viewerCount(slug: string): number {
    return this.rooms.get(slug)?.viewers.size ?? 0;
  }

  /** Every stream with viewers here, and how many. */
  counts(): Map<string, number> {
    return new Map([...this.rooms].map(([slug, room]) => [slug, room.viewers.size]));
  }

  countViewers(count: (stream: string, transport: TransportKind, viewers: number) => void): void {
    for (const [slug, room] of this.rooms) {
      let websocket = 0;
      for (const viewer of room.viewers) if (viewer.transport.kind === 'websocket') websocket++;
      if (websocket > 0) count(slug, 'websocket', websocket);
      if (room.viewers.size > websocket) count(slug, 'sse', room.viewers.size - websocket);
    }
  }

  /** Whether anyone here watches the stream: a watched stream's projection must stay open. */
  isWatched(slug: string): boolean {
    return this.rooms.has(slug);
  }

  /** The streams viewers here are attached to: the ones worth probing for others' changes. */
  *watchedProjections(): Iterable<Stream> {
    for (const room of this.rooms.values()) yield room.stream;
  }

  /** Sends the same frame to every viewer of a stream (viewer counts). */
  broadcast(slug: string, frame: string): void {
    const room = this.rooms.get(slug);
    if (!room) return;
    const outbound = new OutboundFrame(frame);
    for (const viewer of room.viewers) this.deliver(viewer, outbound);
  }

  /** Cuts the viewers of a stream that `refused` picks (the stream no longer admits them); they
   *  reconnect and are asked again. Returns how many. */
  cutWhere(slug: string, refused: (transport: ViewerTransport) => boolean): number {
    let count = 0;
    for (const viewer of this.rooms.get(slug)?.viewers ?? []) {
      if (viewer.cut || !refused(viewer.transport)) continue;
      this.cut(viewer, 'not_admitted');
      count++;
    }
    return count;
  }

  /** Closes every connection (server shutdown): clients reconnect elsewhere and resume by seq. */
  close(): void {
    clearInterval(this.heartbeat);
    for (const room of this.rooms.values()) {
      room.unsubscribe();
      for (const viewer of room.viewers) {
        if (viewer.cut) continue; // already on its way out
        countViewerCut('restart');
        viewer.transport.close('server restarting');
      }
    }
    this.rooms.clear();
  }

  private room(stream: Stream): Room<Stream> {
    let room = this.rooms.get(stream.slug);
    if (!room) {
      const viewers = new Set<Viewer>();
      const held: [Change, OutboundFrame, Date | undefined][] = [];
      const unsubscribe = this.feed.subscribe(stream, (change, storedAt, more) => {
        const frame = this.feed.frame(stream, change); // framed once, the same bytes for every viewer
        held.push([change, frame, storedAt]);
        if (more) return;
        const changes = held.splice(0);
        // Changes that came together (the hub fell behind) go to each viewer in one write.
        for (const viewer of viewers) {
          if (changes.length === 1) this.send(viewer, stream, change, frame);
          else viewer.transport.batch(() => changes.forEach(([each, eachFrame]) => void this.send(viewer, stream, each, eachFrame)));
        }
        for (const [, , at] of changes) if (at) observeDelivery(at);
      });
      room = { stream, viewers, unsubscribe };
      this.rooms.set(stream.slug, room);
    }
    return room;
  }

  private send(viewer: Viewer, stream: Stream, change: Change, frame?: OutboundFrame): void {
    if (change.seq <= viewer.lastSeq) return;
    viewer.lastSeq = change.seq;
    this.deliver(viewer, frame ?? this.feed.frame(stream, change));
  }

  private deliver(viewer: Viewer, frame: OutboundFrame): void {
    if (viewer.cut) return;
    if (viewer.transport.bufferedBytes() > this.options.maxBufferedBytes) {
      this.logger.warn({ buffered: viewer.transport.bufferedBytes() }, 'dropping a viewer that cannot keep up');
      this.cut(viewer, 'buffer');
      return;
    }
    viewer.transport.send(frame);
  }

  private cut(viewer: Viewer, reason: CutReason): void {
    if (viewer.cut) return;
    viewer.cut = true;
    countViewerCut(reason);
    viewer.transport.terminate();
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

  /** One heartbeat for the viewers of `slice` (all of them if none is given): cut dead and stalled
   *  viewers, probe and ping the rest. Each viewer's turn comes every `heartbeatMs`. */
  beat(now = Date.now(), slice?: number): void {
    for (const room of this.rooms.values()) {
      for (const viewer of room.viewers) {
        if (viewer.cut || (slice !== undefined && viewer.slice !== slice)) continue; // cut: its close is on its way
        if (!viewer.alive) {
          this.cut(viewer, 'dead'); // no answer since the last beat: the link is dead
          continue;
        }
        if (this.stalled(viewer, now)) {
          this.logger.warn({ stream: room.stream.slug, buffered: viewer.transport.bufferedBytes(), stalledMs: now - viewer.progressAt }, 'dropping a viewer that stopped reading');
          this.cut(viewer, 'stalled');
          continue;
        }
        viewer.alive = false;
        // Both in one write: a heartbeat to 10,000 viewers is 10,000 system calls, not 20,000.
        viewer.transport.batch(() => {
          viewer.transport.probe();
          this.deliver(viewer, PING);
        });
      }
    }
  }
}
