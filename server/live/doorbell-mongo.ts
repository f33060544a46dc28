import { randomUUID } from 'node:crypto';
import { MongoServerError, type Db, type Collection, type FindCursor } from 'mongodb';
import type { Logger } from 'pino';
import type { Doorbell } from './doorbell.ts';
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
}

const NAMESPACE_EXISTS = 48;

/**
 * Instances ring each other through a small capped collection that every instance tails. Works on
 * MongoDB and FerretDB alike. FerretDB caveats: the tailable cursor needs `batchSize: 1` (a first
 * batch smaller than batchSize closes it), the collection needs a document so the cursor is not
 * born dead, and capped cleanup can delete the document a cursor stands on: then we reopen.
 */
export class MongoDoorbell implements Doorbell {
  private readonly instance = randomUUID();
  private readonly rings: Collection<Ring>;
  private cursor: FindCursor<Ring> | undefined;
  private running = false;
  private tailing: Promise<void> | undefined;

  constructor(
    private readonly db: Db,
    private readonly logger: Logger,
    private readonly options: DoorbellOptions = {},
  ) {
    this.rings = db.collection<Ring>('doorbell');
  }

  ring(stream: string, seq: number): void {
    this.rings.insertOne({ stream, seq, from: this.instance, at: new Date() }).catch((error: unknown) => {
      countDbError('doorbell');
      this.logger.debug({ err: error }, 'doorbell not rung (catch-up will deliver)');
    });
  }

  start(onRing: (stream: string, seq: number) => void): void {
    this.running = true;
    this.tailing = this.tail(onRing);
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.cursor?.close().catch(() => {});
    await this.tailing;
  }

  private async ensureCollection(): Promise<void> {
    try {
      await this.db.createCollection('doorbell', {
        capped: true,
        size: this.options.sizeBytes ?? 1024 * 1024,
        max: this.options.maxDocuments ?? 1000,
      });
    } catch (error) {
      if (!(error instanceof MongoServerError && error.code === NAMESPACE_EXISTS)) throw error;
    }
    // The seed: a tailable cursor on an empty collection is dead at birth.
    await this.rings.insertOne({ stream: '', seq: 0, from: this.instance, at: new Date() });
  }

  private async tail(onRing: (stream: string, seq: number) => void): Promise<void> {
    let pause = 100;
    while (this.running) {
      try {
        await this.ensureCollection();
        const since = new Date(Date.now() - 1000);
        this.cursor = this.rings.find({}, { tailable: true, awaitData: true, batchSize: 1, maxAwaitTimeMS: 1000 });
        for await (const ring of this.cursor) {
          pause = 100;
          if (!this.running) break;
          if (ring.from !== this.instance && ring.stream && ring.at >= since) onRing(ring.stream, ring.seq);
        }
      } catch (error) {
        if (!this.running) break;
        // Capped cleanup removed our place, or the database went away: reopen after a pause.
        this.logger.debug({ err: error }, 'doorbell cursor closed; reopening');
      }
      if (this.running) await new Promise((r) => setTimeout(r, pause));
      pause = Math.min(pause * 2, 2000);
    }
  }
}
