import type { Logger } from 'pino';
import { viewersFrame } from './frames.ts';
import { countDbError } from '../metrics/metrics.ts';

/**
 * Viewer counts across instances. Each instance knows only its own viewers; a presence adds up
 * everyone's. Implementations: presence-local.ts (in one process) and presence-mongo.ts (across
 * instances, through the database). A count an instance has not renewed within a few rounds is a
 * dead instance's and no longer counts.
 */
export interface Presence {
  /**
   * Reports this instance's viewers of each stream in `streams` (none where `local` has no entry)
   * and answers the totals of every live instance for those streams.
   */
  tally(local: ReadonlyMap<string, number>, streams: ReadonlySet<string>): Promise<Map<string, number>>;
}

/** How many rounds a count stays good without being renewed. */
export const PRESENCE_ROUNDS_KEPT = 3;

/** What viewer counts need of the hub: who watches here, and a way to tell them all. */
export interface Viewers {
  counts(): Map<string, number>;
  broadcast(slug: string, frame: string): void;
}

/**
 * Tells viewers how many watch with them: every round, this instance's counts go to the presence,
 * and viewers of a stream whose total changed get `{t: "viewers", n}`.
 */
export class ViewerCounts {
  private readonly sent = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(
    private readonly viewers: Viewers,
    private readonly presence: Presence,
    private readonly logger: Logger,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.round(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** One round: report ours, add up everyone's, tell viewers where the total changed. */
  async round(): Promise<void> {
    if (this.running) return; // a slow database must not pile up rounds
    this.running = true;
    try {
      const local = this.viewers.counts();
      const streams = new Set([...local.keys(), ...this.sent.keys()]);
      const totals = await this.presence.tally(local, streams);
      for (const stream of streams) {
        const total = totals.get(stream) ?? 0;
        if (this.sent.get(stream) === total) continue;
        if (local.has(stream)) this.viewers.broadcast(stream, viewersFrame(total));
        if (total === 0 || !local.has(stream)) this.sent.delete(stream);
        else this.sent.set(stream, total);
      }
    } catch (error) {
      countDbError('presence');
      this.logger.debug({ err: error }, 'viewer counts not updated this round');
    } finally {
      this.running = false;
    }
  }
}
