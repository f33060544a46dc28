import type { Collection, Db } from 'mongodb';
import { PRESENCE_ROUNDS_KEPT, type Presence } from './presence.ts';

/** One instance's viewer counts: the streams it has viewers of, and when it last said so. */
interface InstanceCounts {
  _id: string; // the instance
  counts: { stream: string; n: number }[];
  at: Date;
}

/**
 * Viewer counts across instances sharing one database: each instance writes all its counts in one
 * document of its own (no update races, which FerretDB could lose) and reads the others'. It writes
 * only when its counts changed, or, unchanged, once its document is about to be too old to count
 * (a dead instance's counts must stop counting, so a live one renews them); so an instance whose
 * viewers come and go slowly costs one read per round.
 */
export class MongoPresence implements Presence {
  private readonly records: Collection<InstanceCounts>;
  private written: string | undefined;
  private writtenAt = 0;

  constructor(
    db: Db,
    private readonly instance: string,
    private readonly intervalMs: number,
  ) {
    this.records = db.collection<InstanceCounts>('presence');
  }

  async tally(local: ReadonlyMap<string, number>, streams: ReadonlySet<string>): Promise<Map<string, number>> {
    const now = new Date();
    const counts = [...streams].sort().flatMap((stream) => {
      const n = local.get(stream) ?? 0;
      return n > 0 ? [{ stream, n }] : [];
    });
    const state = JSON.stringify(counts);
    // Renewed a round before it would stop counting: rounds are timers, and timers run late.
    const renewDue = now.getTime() - this.writtenAt >= (PRESENCE_ROUNDS_KEPT - 1) * this.intervalMs;
    if (state !== this.written || renewDue) {
      await this.records.replaceOne({ _id: this.instance }, { counts, at: now }, { upsert: true });
      this.written = state;
      this.writtenAt = now.getTime();
    }
    const fresh = new Date(now.getTime() - PRESENCE_ROUNDS_KEPT * this.intervalMs);
    const totals = new Map<string, number>();
    for (const record of await this.records.find({ at: { $gt: fresh } }).toArray()) {
      for (const { stream, n } of record.counts ?? []) {
        if (streams.has(stream)) totals.set(stream, (totals.get(stream) ?? 0) + n);
      }
    }
    return totals;
  }
}
