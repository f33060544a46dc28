import type { Logger } from 'pino';
import type { StreamProjection } from './projection.ts';
import type { CatchUpSchedule } from './catch-up-schedule.ts';
import { changeId } from './records.ts';
import { countDbError } from '../metrics/metrics.ts';

/** Who watches which stream (the live hub): watched projections stay open and are probed. */
export interface WatchedStreams {
  isWatched(slug: string): boolean;
  watchedProjections(): Iterable<StreamProjection>;
}

export const nobodyWatches: WatchedStreams = { isWatched: () => false, watchedProjections: () => [] };

export interface CatchUpRound {
  /** Runs first in every round (the open set drops idle projections there). */
  beforeRound(): void;
  /** Which of these change ids exist: one probe for a whole batch of streams. */
  present(ids: readonly string[]): Promise<Set<string>>;
  /** Told of each watched projection just probed: it counts as used and current. */
  probed(projection: StreamProjection): void;
}

/** Streams probed by one query; a round with more watched streams sends one query per batch. */
export const PROBE_BATCH = 500;

/**
 * Probes the watched streams for changes other processes appended, at the pace the schedule sets:
 * one query per round for all of them (`head + 1` of each), then a catch-up only of those that have
 * something. It alone delivers everything (a doorbell only cuts latency), and its cost follows the
 * streams people watch, not the streams ever opened.
 */
export class CatchUpLoop {
  private timer: NodeJS.Timeout | undefined;
  private dueAt = Number.POSITIVE_INFINITY;
  private running = false;
  private started = false;
  /** Streams probed since start: it should follow the watched ones only. */
  probes = 0;
  /** Probe queries sent since start. */
  queries = 0;

  constructor(
    private readonly watched: WatchedStreams,
    private readonly schedule: CatchUpSchedule,
    private readonly round: CatchUpRound,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.started = true;
    this.plan();
  }

  stop(): void {
    this.started = false;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** The schedule may have turned faster: brings the next round forward if it is now due sooner. */
  wake(): void {
    if (this.started && !this.running) this.plan();
  }

  /** One round now: every watched stream probed, those with news caught up. */
  async run(): Promise<void> {
    if (this.running) return; // a slow database must not pile up probes
    this.running = true;
    try {
      this.round.beforeRound();
      const projections = [...this.watched.watchedProjections()];
      for (let i = 0; i < projections.length; i += PROBE_BATCH) {
        await this.probe(projections.slice(i, i + PROBE_BATCH));
      }
    } finally {
      this.running = false;
    }
  }

  private async probe(batch: StreamProjection[]): Promise<void> {
    const next = new Map(batch.map((projection) => [projection, changeId(projection.slug, projection.head + 1)]));
    this.probes += batch.length;
    this.queries++;
    const present = await this.round.present([...next.values()]).catch((error: unknown) => {
      countDbError('read');
      this.logger.warn({ streams: batch.length, err: error }, 'catch-up probe failed');
      return new Set<string>();
    });
    for (const [projection, id] of next) {
      this.round.probed(projection);
      if (!present.has(id)) continue;
      const applied = await projection.catchUp().catch((error: unknown) => {
        this.logger.warn({ stream: projection.slug, err: error }, 'catch-up failed');
        return 0;
      });
      if (applied > 0) this.logger.debug({ stream: projection.slug, applied }, 'caught up');
    }
  }

  /** Sets the timer for the schedule's next round, unless one is already due sooner. */
  private plan(): void {
    const now = Date.now();
    const due = now + this.schedule.delay(now);
    if (this.timer && due >= this.dueAt) return;
    clearTimeout(this.timer);
    this.dueAt = due;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.dueAt = Number.POSITIVE_INFINITY;
      void this.run().finally(() => {
        if (this.started) this.plan();
      });
    }, due - now);
    this.timer.unref();
  }
}
