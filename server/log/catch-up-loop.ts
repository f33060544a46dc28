import type { Logger } from 'pino';
import type { StreamProjection } from './projection.ts';

/** Who watches which stream (the live hub): watched projections stay open and are probed. */
export interface WatchedStreams {
  isWatched(slug: string): boolean;
  watchedProjections(): Iterable<StreamProjection>;
}

export const nobodyWatches: WatchedStreams = { isWatched: () => false, watchedProjections: () => [] };

export interface CatchUpRound {
  /** Runs first in every round (the open set drops idle projections there). */
  beforeRound(): void;
  /** Told of each watched projection just probed: it counts as used and current. */
  probed(projection: StreamProjection): void;
}

/**
 * Every `intervalMs`, probes each watched stream for changes other processes appended. It alone
 * delivers everything (a doorbell only cuts latency), and its cost follows the streams people
 * watch, not the streams ever opened.
 */
export class CatchUpLoop {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  /** Streams probed since start: it should follow the watched ones only. */
  probes = 0;

  constructor(
    private readonly watched: WatchedStreams,
    private readonly intervalMs: number,
    private readonly round: CatchUpRound,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => void this.run(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async run(): Promise<void> {
    if (this.running) return; // a slow database must not pile up probes
    this.running = true;
    try {
      this.round.beforeRound();
      for (const projection of [...this.watched.watchedProjections()]) {
        this.probes++;
        const applied = await projection.refresh().catch((error: unknown) => {
          this.logger.warn({ stream: projection.slug, err: error }, 'catch-up failed');
          return 0;
        });
        this.round.probed(projection);
        if (applied > 0) this.logger.debug({ stream: projection.slug, applied }, 'caught up');
      }
    } finally {
      this.running = false;
    }
  }
}
