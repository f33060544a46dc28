import type { Logger } from 'pino';
import { LivelogError } from '../errors.ts';
import type { StreamProjection } from './projection.ts';
import { publishScheduled } from './schedule-commands.ts';
import type { ScheduleHint, ScheduleHints } from './schedule-hints.ts';

// Every instance runs one: it looks for hints whose time has come, publishes what is due in those
// streams (the log's unique key lets one instance through; the others are answered with its
// change), and drops hints that no longer match a scheduled post. A restart loses nothing: hints
// and the log are in the database.

/** Hints read per round: a backlog (after an outage) is worked through round by round. */
const HINTS_PER_ROUND = 200;

export interface SchedulerOptions {
  hints: ScheduleHints;
  projection(slug: string): Promise<StreamProjection | null>;
  logger: Logger;
  pollMs: number;
}

export class Scheduler {
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<number> | undefined;
  /** Where the next round reads on: hints that must keep waiting (an ended stream's) would
   *  otherwise fill every round and starve the posts due behind them. */
  private after: string | undefined;

  constructor(private readonly options: SchedulerOptions) {}

  start(): void {
    this.timer ??= setInterval(() => void this.tick(), this.options.pollMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One round; concurrent calls share it. Resolves to how many posts this instance published. */
  tick(now = new Date()): Promise<number> {
    this.round ??= this.publishDue(now)
      .catch((error: unknown) => {
        this.options.logger.warn({ err: error }, 'scheduler round failed; trying again next round');
        return 0;
      })
      .finally(() => (this.round = undefined));
    return this.round;
  }

  private async publishDue(now: Date): Promise<number> {
    const byStream = new Map<string, ScheduleHint[]>();
    const due = await this.options.hints.due(now, HINTS_PER_ROUND, this.after);
    this.after = due.length < HINTS_PER_ROUND ? undefined : due.at(-1)?._id;
    for (const hint of due) byStream.set(hint.stream, [...(byStream.get(hint.stream) ?? []), hint]);
    let published = 0;
    for (const [slug, hints] of byStream) {
      const projection = await this.options.projection(slug);
      if (projection) published += await this.publishStream(projection, now);
      const scheduled = projection?.state.scheduled;
      const stale = hints.filter((h) => scheduled?.get(h.postId)?.publishAt.getTime() !== h.publishAt.getTime());
      await this.options.hints.remove(stale.map((h) => h._id));
    }
    return published;
  }

  private async publishStream(projection: StreamProjection, now: Date): Promise<number> {
    let published = 0;
    for (const { post } of projection.state.scheduled.due(now)) {
      try {
        const { record, replayed } = await publishScheduled(projection, post.id, now);
        if (!replayed) published++;
        this.options.logger.info({ stream: projection.slug, seq: record.seq, post: post.id, replayed }, 'scheduled post published');
      } catch (error) {
        // An ended stream publishes it when reopened; anything else is tried again next round.
        const level = error instanceof LivelogError ? 'debug' : 'warn';
        this.options.logger[level]({ stream: projection.slug, post: post.id, err: error }, 'scheduled post not published');
      }
    }
    return published;
  }
}
