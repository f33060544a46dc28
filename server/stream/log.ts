import type { Collection, WriteConcernSettings } from 'mongodb';
import { changeId, type ChangeRecord } from './types.ts';

// Reads and writes of the `changes` collection. Nothing here keeps state: the projection decides
// what to append and in which order to apply what it reads.

// On a replica set an acknowledged append must survive a failover, or a rollback could reassign a
// seq that viewers already saw.
const APPEND_WRITE_CONCERN: WriteConcernSettings = { w: 'majority', journal: true };

export class ChangeLog {
  constructor(private readonly changes: Collection<ChangeRecord>) {}

  /** Every change of a stream in seq order: read once when a process first serves the stream. */
  async readAll(stream: string): Promise<ChangeRecord[]> {
    // FerretDB sorts in memory and, on SQLite, scans the collection for a non-_id filter: this is
    // the one expensive read, and the projection makes sure it happens once per stream.
    return this.changes.find({ stream }).sort({ _id: 1 }).toArray();
  }

  /** The change at exactly this seq, or null: an `_id` point lookup, cheap on every backend. */
  async at(stream: string, seq: number): Promise<ChangeRecord | null> {
    return this.changes.findOne({ _id: changeId(stream, seq) });
  }

  /** Inserts a change; throws a duplicate-key error if its seq or its key is already taken. */
  async insert(record: ChangeRecord): Promise<void> {
    await this.changes.insertOne(record, { writeConcern: APPEND_WRITE_CONCERN });
  }
}
