import type { Db } from 'mongodb';
import type { Logger } from 'pino';
import type { Doorbell } from './doorbell.ts';
import { DoorbellHealth } from './doorbell-health.ts';
import { countDbError } from '../metrics/metrics.ts';

// LIVELOG_RELAY=changestream: on a MongoDB replica set, every instance watches the `changes`
// collection itself instead of a doorbell collection. The server pushes each insert as it commits,
// so there is no ring to send, no poll, and nothing to lose between an append and its ring; rings
// still only wake a catch-up of that stream, which reads the change from the log as always.

/** One event, as the pipeline below leaves it: the resume token and the change's stream and seq. */
export interface ChangeEvent {
  _id: unknown;
  fullDocument?: { stream?: unknown; seq?: unknown };
}

/** What the relay needs of a change stream (the driver's ChangeStream has it; tests use a fake). */
export interface ChangeFeed {
  /** The next event, or null once the server has waited a while with none (it still answered). */
  tryNext(): Promise<ChangeEvent | null>;
  /** Where to resume: past the last event, or past what the server last said it had looked at. */
  readonly resumeToken: unknown;
  close(): Promise<void>;
}

/** Opens a change stream of inserts into `changes`, after `resumeAfter` when given. */
export type WatchChanges = (resumeAfter: unknown) => ChangeFeed;

/** Server errors that say the resume token is no use any more: start afresh and catch up. */
const TOKEN_LOST = new Set([
  260, // InvalidResumeToken
  280, // ChangeStreamFatalError
  286, // ChangeStreamHistoryLost: the oplog no longer holds the token
]);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function watchChanges(db: Db, maxAwaitTimeMS = 1000): WatchChanges {
  const pipeline = [{ $match: { operationType: 'insert' } }, { $project: { 'fullDocument.stream': 1, 'fullDocument.seq': 1 } }];
  return (resumeAfter) =>
    db.collection('changes').watch<ChangeEvent>(pipeline, resumeAfter === undefined ? { maxAwaitTimeMS } : { maxAwaitTimeMS, resumeAfter }) as unknown as ChangeFeed;
}

/** Refuses a database without change streams at start, in words the operator can act on. */
export async function assertChangeStreams(db: Db): Promise<void> {
  const info = await db.command({ buildInfo: 1 });
  if (info.ferretdbVersion) {
    throw new Error('LIVELOG_RELAY=changestream needs a MongoDB replica set, and this database is FerretDB, which has no change streams: use LIVELOG_RELAY=mongo');
  }
  const hello = await db.command({ hello: 1 });
  if (!hello.setName) {
    throw new Error('LIVELOG_RELAY=changestream needs a MongoDB replica set, and this MongoDB is a standalone server, which has no change streams: use LIVELOG_RELAY=mongo, or run it as a replica set');
  }
}

export interface ChangeStreamOptions {
  /** Healthy only while the stream answered within this (the server answers at least every second). */
  staleMs?: number;
  /** First pause before reopening after an error; doubles up to 2 s. */
  retryMs?: number;
}

/**
 * The relay through a change stream, behind the doorbell's interface. It vouches for every change
 * (so catch-up slows to its safety net) while the stream answers; on an error it reopens after the
 * last resume token, so no insert falls between; if the server no longer knows that token it opens
 * afresh and reports itself unhealthy meanwhile, so the catch-up loop runs fast rounds that find
 * whatever the lost stretch held.
 */
export class ChangeStreamDoorbell implements Doorbell {
  private feed: ChangeFeed | undefined;
  private running = false;
  private watching: Promise<void> | undefined;
  private token: unknown;
  private answeredAt: number | undefined;
  private readonly health: DoorbellHealth;
  private readonly staleMs: number;
  private readonly retryMs: number;

  constructor(
    private readonly watch: WatchChanges,
    private readonly logger: Logger,
    options: ChangeStreamOptions = {},
  ) {
    this.staleMs = options.staleMs ?? 5000;
    this.retryMs = options.retryMs ?? 100;
    this.health = new DoorbellHealth(
      () => this.running && this.answeredAt !== undefined && Date.now() - this.answeredAt <= this.staleMs,
      logger,
      'change stream',
    );
  }

  /** Nothing to send: the append's own insert is what every instance's stream sees. */
  ring(): void {}

  start(onRing: (stream: string, seq: number) => void, onHealth?: (healthy: boolean) => void): void {
    this.running = true;
    this.health.start(this.staleMs, onHealth);
    this.watching = this.follow(onRing);
  }

  async stop(): Promise<void> {
    this.running = false;
    this.health.stop();
    await this.feed?.close().catch(() => {});
    await this.watching;
    this.health.check();
  }

  private async follow(onRing: (stream: string, seq: number) => void): Promise<void> {
    let pause = this.retryMs;
    while (this.running) {
      const feed = this.watch(this.token);
      this.feed = feed;
      try {
        while (this.running) {
          const asked = Date.now();
          const event = await feed.tryNext();
          this.answeredAt = Date.now();
          this.token = feed.resumeToken ?? this.token;
          this.health.check();
          pause = this.retryMs;
          if (event) {
            const { stream, seq } = event.fullDocument ?? {};
            if (typeof stream === 'string' && Number.isSafeInteger(seq)) onRing(stream, seq as number);
          } else if (this.answeredAt - asked < 20) {
            await sleep(20); // a server that answers "nothing" at once must not become a busy loop
          }
        }
      } catch (error) {
        if (!this.running) break;
        countDbError('doorbell');
        this.answeredAt = undefined;
        this.health.check();
        if (TOKEN_LOST.has((error as { code?: number }).code ?? 0)) {
          // The stretch since the token is unknown: the catch-up loop, fast while we are unhealthy, finds it.
          this.token = undefined;
          this.logger.warn({ err: error }, 'change stream cannot resume where it was: watching afresh, catch-up finds what fell between');
        } else {
          this.logger.info({ err: error }, 'change stream failed; resuming after its last event');
        }
      }
      await feed.close().catch(() => {});
      if (this.running) await sleep(pause);
      pause = Math.min(pause * 2, 2000);
    }
  }
}
