import { MongoServerError } from 'mongodb';
import type { Logger } from 'pino';

// FerretDB can stay up, answer pings and yet fail every query (seen once on SQLite: "interrupted"
// on each call, for minutes, until it was restarted). The supervisor only restarts a FerretDB that
// exits; this asks a real query now and then and has it recycled after a few refusals in a row.
// Only the server's refusals count: a timeout or a lost connection is a slow or absent database,
// which a restart would not help (and the supervisor already sees an exit).

/** A query past its maxTimeMS: the database is slow, not broken. */
const MAX_TIME_EXPIRED = 50;

export interface QueryWatchdogOptions {
  /** One small real query. */
  probe(): Promise<unknown>;
  /** Ends FerretDB; the supervisor starts a fresh one. */
  recycle(reason: string): void;
  logger: Pick<Logger, 'warn'>;
  everyMs?: number;
  refusalsBeforeRecycle?: number;
}

export class QueryWatchdog {
  private refusals = 0;
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(private readonly options: QueryWatchdogOptions) {}

  start(): void {
    this.timer ??= setInterval(() => void this.check(), this.options.everyMs ?? 15_000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One round: exported for tests, run by the timer otherwise. */
  async check(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      await this.options.probe();
      this.refusals = 0;
    } catch (error) {
      if (!(error instanceof MongoServerError) || error.code === MAX_TIME_EXPIRED) return;
      this.refusals++;
      this.options.logger.warn({ err: error, refusals: this.refusals }, 'the embedded database refused a query');
      if (this.refusals >= (this.options.refusalsBeforeRecycle ?? 3)) {
        this.refusals = 0;
        this.options.recycle(`refused ${error.message.slice(0, 200)}`);
      }
    } finally {
      this.running = false;
    }
  }
}
