import type { Collection, Db } from 'mongodb';
import { PRESENCE_ROUNDS_KEPT, type Presence } from './presence.ts';

interface PresenceRecord {
  _id: string; // instance:stream
  stream: string;
  n: number;
  at: Date;
}

/**
 * Viewer counts across instances sharing one database: each instance writes its own count per
 * stream in a document of its own (no update races, which FerretDB could lose) and reads the
 * others' from the `presence` collection.
 */
export class MongoPresence implements Presence {
  private readonly records: Collection<PresenceRecord>;

  constructor(
    db: Db,
    private readonly instance: string,
    private readonly intervalMs: number,
  ) {
    this.records = db.collection<PresenceRecord>('presence');
  }

  async tally(local: ReadonlyMap<string, number>, streams: ReadonlySet<string>): Promise<Map<string, number>> {
    const now = new Date();
    await Promise.all(
      [...streams].map((stream) =>
        this.records.replaceOne({ _id: `${this.instance}:${stream}` }, { stream, n: local.get(stream) ?? 0, at: now }, { upsert: true }),
      ),
    );
    const fresh = new Date(now.getTime() - PRESENCE_ROUNDS_KEPT * this.intervalMs);
    const totals = new Map<string, number>();
    for (const record of await this.records.find({ stream: { $in: [...streams] }, at: { $gt: fresh } }).toArray()) {
      totals.set(record.stream, (totals.get(record.stream) ?? 0) + record.n);
    }
    return totals;
  }
}
