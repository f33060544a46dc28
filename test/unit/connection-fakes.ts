import type { ConnectionListener, ConnectionState, Link, LinkEvents, OpenLink, Timers, TransportKind } from '../../client/connection.ts';
import type { ChangeFrame, Frame, StreamStatus } from '../../shared/protocol.ts';

// A fake clock and fake transports for the page's live connection: no DOM, no sockets.

export class FakeTimers implements Timers {
  now = 0;
  /** The jitter factor the connection draws: 1 is the longest wait its backoff allows. */
  jitter = 1;
  /** Every delay asked for, in order (retries and watchdogs alike). */
  readonly delays: number[] = [];
  private nextId = 1;
  private readonly pending = new Map<number, { at: number; run: () => void }>();

  setTimeout(run: () => void, ms: number): number {
    const id = this.nextId++;
    this.delays.push(ms);
    this.pending.set(id, { at: this.now + ms, run });
    return id;
  }

  clearTimeout(id: number | undefined): void {
    if (id !== undefined) this.pending.delete(id);
  }

  random(): number {
    return this.jitter;
  }

  /** Runs every timer due within `ms`, in time order. */
  advance(ms: number): void {
    const end = this.now + ms;
    for (let runs = 0; ; runs++) {
      if (runs > 10_000) throw new Error('timers keep rescheduling themselves at once');
      const due = [...this.pending].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at || a[0] - b[0])[0];
      if (!due) break;
      this.pending.delete(due[0]);
      this.now = due[1].at;
      due[1].run();
    }
    this.now = end;
  }

  /** Runs the next timer, however far away. */
  runNext(): boolean {
    const next = [...this.pending.values()].sort((a, b) => a.at - b.at)[0];
    if (!next) return false;
    this.advance(next.at - this.now);
    return true;
  }
}

export class FakeLink implements Link {
  closedByPage = false;
  constructor(
    readonly kind: TransportKind,
    readonly since: string,
    readonly events: LinkEvents,
  ) {}
  close(): void {
    this.closedByPage = true;
  }
  send(frame: Frame): void {
    this.events.message(JSON.stringify(frame));
  }
}

/** Transports the test opens, fails and feeds by hand. */
export class FakeTransports {
  readonly links: FakeLink[] = [];
  readonly open: OpenLink = (kind, since, events) => {
    const link = new FakeLink(kind, since, events);
    this.links.push(link);
    return link;
  };
  get last(): FakeLink {
    const link = this.links.at(-1);
    if (!link) throw new Error('no link opened yet');
    return link;
  }
}

export class RecordingListener implements ConnectionListener {
  readonly states: ConnectionState[] = [];
  readonly statuses: StreamStatus[] = [];
  readonly changes: ChangeFrame[] = [];
  readonly viewerCounts: number[] = [];
  epochChanges = 0;
  state(state: ConnectionState): void {
    this.states.push(state);
  }
  status(status: StreamStatus): void {
    this.statuses.push(status);
  }
  change(frame: ChangeFrame): void {
    this.changes.push(frame);
  }
  viewers(n: number): void {
    this.viewerCounts.push(n);
  }
  epochChanged(): void {
    this.epochChanges++;
  }
}
