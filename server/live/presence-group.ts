import { PRESENCE_ROUNDS_KEPT, type Presence } from './presence.ts';

// Viewer counts of a LIVELOG_WORKERS group, kept in the primary: each worker reports its counts over
// IPC and is answered at once with the totals; the primary adds the workers' counts up and writes
// them as ONE presence document for the group (MongoPresence, one read and at most one write per
// round), so other machines count the group's viewers and the group counts theirs. Without this,
// every worker wrote and read presence on its own.

/** A worker's round: its viewers of each stream (none listed where zero), and the streams it asks about. */
export interface PresenceReport {
  livelog: 'presence';
  round: number;
  counts: [string, number][];
  streams: string[];
}
/** The primary's answer: the totals of the asked streams (zero where missing). */
export interface PresenceTotals {
  livelog: 'presence-totals';
  round: number;
  totals: [string, number][];
}

// A slug is at most 64 characters (records.ts); a worker shows at most 2 × LIVELOG_MAX_OPEN_STREAMS.
const MAX_STREAM = 64;
const MAX_STREAMS = 100_000;
const slug = (value: unknown): value is string => typeof value === 'string' && value.length > 0 && value.length <= MAX_STREAM;

/** Workers are our own processes; the shape is still checked so a bug cannot corrupt the counts. */
export function isPresenceReport(message: unknown): message is PresenceReport {
  if (typeof message !== 'object' || message === null) return false;
  const m = message as Record<string, unknown>;
  return (
    m.livelog === 'presence' &&
    Number.isSafeInteger(m.round) &&
    Array.isArray(m.counts) &&
    m.counts.length <= MAX_STREAMS &&
    m.counts.every((entry) => Array.isArray(entry) && entry.length === 2 && slug(entry[0]) && Number.isSafeInteger(entry[1]) && entry[1] > 0) &&
    Array.isArray(m.streams) &&
    m.streams.length <= MAX_STREAMS &&
    m.streams.every(slug)
  );
}

function isPresenceTotals(message: unknown): message is PresenceTotals {
  if (typeof message !== 'object' || message === null) return false;
  const m = message as Record<string, unknown>;
  return m.livelog === 'presence-totals' && Number.isSafeInteger(m.round) && Array.isArray(m.totals);
}

/** The primary's side: the workers' latest counts, and the group's document in the database. */
export class GroupPresence {
  private readonly reports = new Map<number, { counts: Map<string, number>; streams: string[]; at: number }>();
  /** The last database round: everyone's totals, and the group's own share written in it. */
  private everyone = new Map<string, number>();
  private ours = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(
    private readonly database: Presence,
    private readonly intervalMs: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.round(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Handles a worker's report if it is one; `answer` sends the totals back to that worker. */
  handle(workerId: number, message: unknown, answer: (totals: PresenceTotals) => void): boolean {
    if (!isPresenceReport(message)) return false;
    this.reports.set(workerId, { counts: new Map(message.counts), streams: message.streams, at: Date.now() });
    // The group's own viewers as they are now; everyone else's as of the last database round.
    const group = this.groupCounts();
    const totals = message.streams.map((stream): [string, number] => [
      stream,
      Math.max(0, (this.everyone.get(stream) ?? 0) - (this.ours.get(stream) ?? 0)) + (group.get(stream) ?? 0),
    ]);
    answer({ livelog: 'presence-totals', round: message.round, totals });
    return true;
  }

  /** A worker is gone: its viewers are too. */
  workerGone(workerId: number): void {
    this.reports.delete(workerId);
  }

  /** One database round: the group's counts written (if changed), everyone's read. */
  async round(): Promise<void> {
    if (this.running) return; // a slow database must not pile up rounds
    this.running = true;
    try {
      const group = this.groupCounts();
      const streams = new Set<string>();
      for (const report of this.reports.values()) for (const stream of report.streams) streams.add(stream);
      this.everyone = await this.database.tally(group, streams);
      this.ours = group;
    } catch (error) {
      this.onError(error);
    } finally {
      this.running = false;
    }
  }

  /** The workers' counts added up; a worker silent for a few rounds (stuck) no longer counts. */
  private groupCounts(): Map<string, number> {
    const fresh = Date.now() - PRESENCE_ROUNDS_KEPT * this.intervalMs;
    const group = new Map<string, number>();
    for (const [workerId, report] of this.reports) {
      if (report.at < fresh) {
        this.reports.delete(workerId);
        continue;
      }
      for (const [stream, n] of report.counts) group.set(stream, (group.get(stream) ?? 0) + n);
    }
    return group;
  }
}

/** A worker's end of the channel to its primary (process.send and 'message' in a real worker). */
export interface PresenceLink {
  send(message: PresenceReport): void;
  onMessage(listener: (message: unknown) => void): void;
}

/** A worker's presence: asks the primary, which answers at once. */
export class WorkerPresence implements Presence {
  private round = 0;
  private waiting: { round: number; resolve: (totals: Map<string, number>) => void } | undefined;

  constructor(
    private readonly link: PresenceLink,
    private readonly timeoutMs: number,
  ) {
    link.onMessage((message) => {
      if (!isPresenceTotals(message) || message.round !== this.waiting?.round) return;
      this.waiting.resolve(new Map(message.totals));
      this.waiting = undefined;
    });
  }

  // One round at a time (ViewerCounts waits for each); a late answer belongs to a round given up on.
  tally(local: ReadonlyMap<string, number>, streams: ReadonlySet<string>): Promise<Map<string, number>> {
    const round = ++this.round;
    const counts = [...local].filter(([, n]) => n > 0);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        if (this.waiting?.round === round) this.waiting = undefined;
        reject(new Error('the primary did not answer with viewer counts'));
      }, this.timeoutMs);
      this.waiting = {
        round,
        resolve: (totals) => {
          clearTimeout(timer);
          resolve(totals);
        },
      };
      this.link.send({ livelog: 'presence', round, counts, streams: [...streams] });
    });
  }
}

/** This worker's presence, asking its primary over the cluster's channel. */
export function workerPresence(timeoutMs: number): WorkerPresence {
  return new WorkerPresence(
    {
      send: (message) => {
        if (process.connected) process.send?.(message);
      },
      onMessage: (listener) => process.on('message', listener),
    },
    timeoutMs,
  );
}
