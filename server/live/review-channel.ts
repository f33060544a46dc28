import type { ServerResponse } from 'node:http';
import type { StreamProjection } from '../log/projection.ts';

// The live channel of a stream's review queue: Server-Sent Events to its editors (the whole queue)
// and its contributors (their own submissions), never through the viewers' hub. Pending text goes
// only down these connections, which a route opens after checking who is signed in. Each push is
// the whole list, so a reconnect needs no resume point: it gets the list as it stands.

export interface ReviewChannelOptions {
  /** Open channels per process; past it a new one is refused (503) and the page still works. */
  maxOpen: number;
  /** Open channels of one user (their tabs); past it a new one is refused, so one account cannot
   *  take every place. */
  maxPerUser: number;
  /** A comment line this often keeps proxies from closing an idle channel. */
  heartbeatMs: number;
  /** Unsent bytes past which a channel is cut: the browser reconnects and gets the list afresh. */
  maxBufferedBytes: number;
}

export interface ReviewView {
  /** Whether the person may still see this (checked on every change of the stream: a removed
   *  member's channel closes). */
  allowed(): boolean;
  /** Whether the account is still one that may see it, read afresh (disabled, signed out
   *  everywhere, role changed): asked before each new list, which is what carries new text. */
  signedIn(): Promise<boolean>;
  /** Moves whenever what `render` shows may have changed. */
  version(): string;
  /** The list's HTML as it stands, and whether there is anything to show. */
  render(): { html: string; shown: boolean };
}

export class ReviewChannels {
  private readonly open = new Set<ServerResponse>();
  private readonly perUser = new Map<string, number>();

  constructor(private readonly options: ReviewChannelOptions) {}

  /** Whether a channel for this user would be past a bound. */
  full(userId: string): boolean {
    return this.open.size >= this.options.maxOpen || (this.perUser.get(userId) ?? 0) >= this.options.maxPerUser;
  }

  get size(): number {
    return this.open.size;
  }

  /** Sends the list now and after every change of the stream's submissions, until the response closes. */
  attach(projection: StreamProjection, response: ServerResponse, userId: string, view: ReviewView): void {
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
      connection: 'keep-alive',
    });
    response.write('retry: 3000\n\n');
    let version = '';
    let checking = false;
    const push = () => {
      if (!view.allowed()) return response.end();
      if (checking || view.version() === version) return;
      // One look at the account at a time; a change meanwhile is picked up when it answers.
      checking = true;
      view.signedIn().then(
        (yes) => {
          checking = false;
          if (!yes || !view.allowed()) return response.end();
          if (response.writableEnded || view.version() === version) return;
          version = view.version();
          response.write(`event: queue\ndata: ${JSON.stringify({ ...view.render(), pending: projection.state.submissions.pending().length })}\n\n`);
          if (response.writableLength > this.options.maxBufferedBytes) response.destroy();
        },
        () => response.destroy(),
      );
    };
    const heartbeat = setInterval(() => response.write(': ping\n\n'), this.options.heartbeatMs);
    heartbeat.unref();
    const detach = () => {
      if (!this.open.delete(response)) return;
      projection.off('change', push);
      clearInterval(heartbeat);
      const left = (this.perUser.get(userId) ?? 1) - 1;
      if (left > 0) this.perUser.set(userId, left);
      else this.perUser.delete(userId);
    };
    this.open.add(response);
    this.perUser.set(userId, (this.perUser.get(userId) ?? 0) + 1);
    response.once('close', detach);
    response.once('error', detach);
    projection.on('change', push);
    push();
  }

  closeAll(): void {
    for (const response of this.open) response.end();
  }
}
