// The live connection, whichever transport carries it: it resumes exactly where the page left off
// (`EPOCH.SEQ`), heals itself with a jittered backoff, and falls back from websockets to Server-Sent
// Events where websockets do not get through. No DOM here: the transports and the timers come in
// from outside, so tests drive it with fake ones.
import { CLOSE_GOING_AWAY, CLOSE_STREAM_GONE, type ChangeFrame, type Frame, type StreamStatus } from '../shared/protocol.ts';

/** Silence longer than this means a dead link: the server sends something every ~20 s. */
export const SILENCE_MS = 45_000;
const FIRST_BACKOFF_MS = 250;
export const MAX_BACKOFF_MS = 15_000;
/**
 * After the server said it is restarting, it will be back within seconds: a short cap keeps viewers
 * from waiting out a long backoff grown while it was down, and the jitter still spreads them out.
 */
export const RESTART_MAX_BACKOFF_MS = 3_000;
/** Websocket attempts that fail before opening, after which Server-Sent Events are used instead. */
const WEBSOCKET_FAILURES_BEFORE_SSE = 2;

export type TransportKind = 'websocket' | 'sse';
export type ConnectionState = 'live' | 'reconnecting' | 'gone';

/** One open (or opening) transport. */
export interface Link {
  close(): void;
}

/** What a transport reports; `closed` also stands for an SSE error (the code is a websocket's). */
export interface LinkEvents {
  opened(): void;
  message(data: string): void;
  closed(code?: number): void;
}

/** Opens a transport to the stream's live endpoint, resuming after `since` (`EPOCH.SEQ`). */
export type OpenLink = (kind: TransportKind, since: string, events: LinkEvents) => Link;

export interface Timers {
  setTimeout(run: () => void, ms: number): number;
  clearTimeout(id: number | undefined): void;
  random(): number;
}

/** What the page does with what the connection hears. */
export interface ConnectionListener {
  state(state: ConnectionState): void;
  status(status: StreamStatus): void;
  /** Each change once, in seq order, with no hole since the page's own seq. */
  change(frame: ChangeFrame): void;
  viewers(n: number): void;
  /** The stream was restored or re-created: the page is from another life of it. */
  epochChanged(): void;
}

/** What to do with a change frame, given the seq the page holds and the head of the replay. */
export function admit(held: number, replayUntil: number, seq: number): 'apply' | 'skip' | 'gap' {
  if (seq <= held) return 'skip'; // already shown
  // Replay is compacted and may skip seqs; live changes come one seq at a time.
  if (seq > replayUntil && seq !== held + 1) return 'gap';
  return 'apply';
}

export class LiveConnection {
  private seq: number;
  /** The head announced by the last hello: until we reach it, replay frames may skip seqs. */
  private replayUntil = 0;
  private attempts = 0;
  private websocketFailures = 0;
  private useSse = false;
  /** The server closed politely to restart: retry on the short cap until a link opens again. */
  private restarting = false;
  private link: Link | undefined;
  private watchdog: number | undefined;
  private retry: number | undefined;

  constructor(
    private readonly epoch: string,
    seq: number,
    private readonly open: OpenLink,
    private readonly listener: ConnectionListener,
    private readonly timers: Timers,
  ) {
    this.seq = seq;
  }

  connect(): void {
    const kind: TransportKind = this.useSse ? 'sse' : 'websocket';
    let opened = false;
    const link: Link = this.open(kind, `${this.epoch}.${this.seq}`, {
      opened: () => {
        opened = true;
        if (kind === 'websocket') this.websocketFailures = 0;
        this.opened(link);
      },
      message: (data) => this.message(link, data),
      closed: (code) => {
        if (kind === 'websocket') {
          // A server on its way down is no sign that websockets are blocked on this network.
          if (!opened && !this.restarting && ++this.websocketFailures >= WEBSOCKET_FAILURES_BEFORE_SSE) this.useSse = true;
          if (code === CLOSE_GOING_AWAY && this.link === link) {
            this.restarting = true;
            this.attempts = 0;
          }
        }
        this.drop(link, code);
      },
    });
    this.link = link;
  }

  /** The device went offline: the link is dead even if the transport has not noticed yet. */
  disconnect(): void {
    if (this.link) this.drop(this.link);
  }

  /** Back online or back from sleep: skip the rest of the backoff wait. */
  reconnectNow(): void {
    if (this.link) return;
    this.timers.clearTimeout(this.retry);
    this.attempts = 0;
    this.connect();
  }

  private opened(link: Link): void {
    if (this.link !== link) return;
    this.attempts = 0;
    this.restarting = false;
    this.listener.state('live');
    this.armWatchdog(link);
  }

  private message(link: Link, data: string): void {
    if (this.link !== link) return;
    this.armWatchdog(link);
    this.receive(link, JSON.parse(data) as Frame);
  }

  /** Forgets a link (closed, silent too long, or out of step) and schedules the next attempt. */
  private drop(link: Link, code = 0): void {
    if (this.link !== link) return;
    this.link = undefined;
    this.timers.clearTimeout(this.watchdog);
    link.close();
    if (code === CLOSE_STREAM_GONE) {
      this.listener.state('gone');
      return;
    }
    this.listener.state('reconnecting');
    // Exponential backoff with full jitter: a restarted server is not hit by every viewer at once.
    const cap = this.restarting ? RESTART_MAX_BACKOFF_MS : MAX_BACKOFF_MS;
    const delay = this.timers.random() * Math.min(cap, FIRST_BACKOFF_MS * 2 ** this.attempts++);
    this.retry = this.timers.setTimeout(() => this.connect(), delay);
  }

  private receive(link: Link, frame: Frame): void {
    switch (frame.t) {
      case 'hello':
        if (frame.epoch !== this.epoch) {
          this.listener.epochChanged();
          return;
        }
        this.replayUntil = frame.seq;
        this.listener.status(frame.status);
        return;
      case 'viewers':
        this.listener.viewers(frame.n);
        return;
      case 'ping':
        return;
    }
    const verdict = admit(this.seq, this.replayUntil, frame.seq);
    if (verdict === 'skip') return;
    if (verdict === 'gap') {
      // We missed a change: resume at once from what we hold.
      this.attempts = 0;
      this.drop(link);
      return;
    }
    this.seq = frame.seq;
    this.listener.change(frame);
  }

  private armWatchdog(link: Link): void {
    this.timers.clearTimeout(this.watchdog);
    this.watchdog = this.timers.setTimeout(() => this.drop(link), SILENCE_MS);
  }
}
