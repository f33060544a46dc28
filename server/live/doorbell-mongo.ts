import { randomUUID } from 'node:crypto';
import { MongoServerError, type Db, type Collection, type FindCursor } from 'mongodb';
import type { Logger } from 'pino';
import type { Doorbell } from './doorbell.ts';
import { DoorbellHealth } from './doorbell-health.ts';
import { countDbError } from '../metrics/metrics.ts';

/** One ring in the capped collection; `from` lets an instance skip its own. */
interface Ring {
  _id?: unknown;
  stream: string;
  seq: number;
  from: string;
  at: Date;
}

export interface DoorbellOptions {
  /** Capped collection size in bytes and documents: small, it only needs the last few seconds. */
  sizeBytes?: number;
  maxDocuments?: number;
  /** Pause between reads of the tail when it has nothing new. */
  pollMs?: number;
}

const NAMESPACE_EXISTS = 48;
/** Own rings awaiting their echo that are remembered; past it, the oldest ones already tell. */
const MAX_UNECHOED = 256;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Instances ring each other through a small capped collection that every instance tails. Works on
 * MongoDB and FerretDB alike. FerretDB caveats: the tailable cursor needs `batchSize: 1` (a first
 * batch smaller than batchSize closes it), the collection needs a document so the cursor is not
 * born dead, and capped cleanup can delete the document a cursor stands on: then we reopen.
 *
 * On FerretDB the cursor is tailable without awaitData, read every `pollMs` when it has nothing:
 * FerretDB serves awaitData by re-reading the whole capped collection every 10 ms for each waiting
 * cursor, which made an idle instance cost the database more than anything else it does. MongoDB
 * waits for new documents without reading, so there the cursor awaits data.
 *
 * Healthy (it vouches that every ring arrives, so the catch-up loop can slow down) while the tail
 * answers within `staleMs`, every ring this instance sent came back through its own tail within
 * `staleMs`, and no ring failed to be sent for `staleMs`. The echo proves the whole path (insert,
 * capped collection, cursor) for the rings others send too, at no extra cost: every instance
 * reads every ring anyway. An idle instance, which sends none, relies on the tail answering; a
 * heartbeat ring would prove more but cost a write per instance and a read per ring for all.
 */
export class MongoDoorbell implements Doorbell {
  private readonly instance = randomUUID();
  private readonly rings: Collection<Ring>;
  private cursor: FindCursor<Ring> | undefined;
  private running = false;
  private tailing: Promise<void> | undefined;
  private readonly pollMs: number;
  private readonly staleMs: number;
  /** When the tail last answered (a ring or nothing new); unset while it is down. */
  private answeredAt: number | undefined;
  /** Send times of own rings not yet seen in the tail, oldest first. */
  private unechoed: number[] = [];
  private ringFailedAt = Number.NEGATIVE_INFINITY;
  private readonly health: DoorbellHealth;
  /** Whether the server waits for new rings cheaply (MongoDB) or is better polled (FerretDB). */
  private awaitsCheaply: Promise<boolean> | undefined;

  constructor(
    private readonly db: Db,
    private readonly logger: Logger,
    private readonly options: DoorbellOptions = {},
  ) {
    this.rings = db.collection<Ring>('doorbell');
    this.pollMs = options.pollMs ?? 150;
    this.staleMs = Math.max(2500, 10 * this.pollMs); // an awaitData read answers within a second
    this.health = new DoorbellHealth(() => this.running && this.isHealthy(Date.now()), logger, 'doorbell');
  }

  ring(stream: string, seq: number): void {
    const at = new Date();
    if (this.unechoed.length < MAX_UNECHOED) this.unechoed.push(at.getTime());
    this.rings.insertOne({ stream, seq, from: this.instance, at }).catch((error: unknown) => {
      countDbError('doorbell');
      this.ringFailedAt = Date.now();
      this.unechoed = this.unechoed.filter((sent) => sent !== at.getTime()); // it will never come back
      this.health.check();
      this.logger.debug({ err: error }, 'doorbell not rung (catch-up will deliver)');
    });
  }

  start(onRing: (stream: string, seq: number) => void, onHealth?: (healthy: boolean) => void): void {
    this.running = true;
    this.health.start(this.staleMs, onHealth);
    this.tailing = this.tail(onRing);
  }

  async stop(): Promise<void> {
    this.running = false;
    this.health.stop();
    await this.cursor?.close().catch(() => {});
    await this.tailing;
  }

  private isHealthy(now: number): boolean {
    if (this.answeredAt === undefined || now - this.answeredAt > this.staleMs) return false;
    if (now - this.ringFailedAt < this.staleMs) return false;
    const oldest = this.unechoed[0];
    return oldest === undefined || now - oldest < this.staleMs;
  }

  /** One ring read from the tail. */
  private heard(ring: Ring, since: Date, onRing: (stream: string, seq: number) => void): void {
    if (ring.from === this.instance) {
      const sent = ring.at.getTime();
      while (this.unechoed[0] !== undefined && this.unechoed[0] <= sent) this.unechoed.shift();
      return;
    }
    if (ring.stream && ring.at >= since) onRing(ring.stream, ring.seq);
  }

  private serverAwaitsCheaply(): Promise<boolean> {
    this.awaitsCheaply ??= this.db.command({ buildInfo: 1 }).then(
      (info) => !info.ferretdbVersion,
      (error: unknown) => {
        this.awaitsCheaply = undefined; // asked again at the next reopen
        throw error;
      },
    );
    return this.awaitsCheaply;
  }

  private async ensureCollection(): Promise<void> {
    try {
      await this.db.createCollection('doorbell', {
        capped: true,
        size: this.options.sizeBytes ?? 1024 * 1024,
        max: this.options.maxDocuments ?? 10,
      });
    } catch (error) {
      if (!(error instanceof MongoServerError && error.code === NAMESPACE_EXISTS)) throw error;
    }
    // The seed: a tailable cursor on an empty collection is dead at birth. Only when empty: every
    // document is read again at each poll until capped cleanup (once a minute) removes it.
    if (!(await this.rings.findOne({}, { projection: { _id: 1 } }))) {
      await this.rings.insertOne({ stream: '', seq: 0, from: this.instance, at: new Date() });
    }
  }

  private async tail(onRing: (stream: string, seq: number) => void): Promise<void> {
    let pause = 100;
    while (this.running) {
      try {
        await this.ensureCollection();
        const since = new Date(Date.now() - 1000);
        const awaitData = await this.serverAwaitsCheaply();
        const cursor = this.rings.find({}, awaitData ? { tailable: true, awaitData, batchSize: 1, maxAwaitTimeMS: 1000 } : { tailable: true, batchSize: 1 });
        this.cursor = cursor;
        while (this.running) {
          const ring = await cursor.tryNext();
          this.answeredAt = Date.now();
          if (ring) {
            pause = 100;
            this.heard(ring, since, onRing);
            continue;
          }
          if (cursor.closed) throw new Error('the tailable cursor was closed');
          this.health.check();
          if (!awaitData) await sleep(this.pollMs);
        }
      } catch (error) {
        this.answeredAt = undefined;
        this.health.check();
        if (!this.running) break;
        // Capped cleanup removed our place, or the database went away: reopen after a pause.
        this.logger.debug({ err: error }, 'doorbell cursor closed; reopening');
      }
      if (this.running) await new Promise((r) => setTimeout(r, pause));
      pause = Math.min(pause * 2, 2000);
    }
  }
}
