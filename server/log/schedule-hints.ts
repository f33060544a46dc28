import type { Collection } from 'mongodb';
import { isDuplicateKey, type Database } from '../db/database.ts';

// Where every instance's scheduler looks for streams with a post due: one small document per
// scheduled time, inserted before the change that schedules it and never updated. The log decides
// what is published; a hint only says "look at this stream then", so one that outlived its post
// (published, cancelled, moved) is simply dropped by the scheduler that finds it.

export interface ScheduleHint {
  /** `stream:post:time`: unique by construction, so inserting it twice stores it once. */
  _id: string;
  stream: string;
  postId: string;
  publishAt: Date;
}

export interface ScheduleHints {
  add(stream: string, postId: string, publishAt: Date): Promise<void>;
  /** Hints whose time has come, at most `limit`, in `_id` order from after `after`. */
  due(now: Date, limit: number, after?: string): Promise<ScheduleHint[]>;
  remove(ids: string[]): Promise<void>;
}

export const hintIdOf = (stream: string, postId: string, publishAt: Date) => `${stream}:${postId}:${publishAt.getTime()}`;

const hintOf = (stream: string, postId: string, publishAt: Date): ScheduleHint => ({
  _id: hintIdOf(stream, postId, publishAt),
  stream,
  postId,
  publishAt,
});

export class MongoScheduleHints implements ScheduleHints {
  private readonly hints: Collection<ScheduleHint>;

  constructor(database: Database) {
    this.hints = database.collection<ScheduleHint>('schedule');
  }

  async add(stream: string, postId: string, publishAt: Date): Promise<void> {
    try {
      await this.hints.insertOne(hintOf(stream, postId, publishAt));
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
    }
  }

  due(now: Date, limit: number, after?: string): Promise<ScheduleHint[]> {
    // A small collection (bounded per stream): FerretDB reads it whole either way.
    const filter = after === undefined ? { publishAt: { $lte: now } } : { publishAt: { $lte: now }, _id: { $gt: after } };
    return this.hints.find(filter).sort({ _id: 1 }).limit(limit).toArray();
  }

  async remove(ids: string[]): Promise<void> {
    if (ids.length) await this.hints.deleteMany({ _id: { $in: ids } });
  }
}

/** The same promises in memory, for tests without a database. */
export class MemoryScheduleHints implements ScheduleHints {
  readonly hints = new Map<string, ScheduleHint>();

  async add(stream: string, postId: string, publishAt: Date): Promise<void> {
    const hint = hintOf(stream, postId, publishAt);
    this.hints.set(hint._id, hint);
  }

  async due(now: Date, limit: number, after?: string): Promise<ScheduleHint[]> {
    return [...this.hints.values()]
      .filter((h) => h.publishAt.getTime() <= now.getTime() && (after === undefined || h._id > after))
      .sort((a, b) => (a._id < b._id ? -1 : 1))
      .slice(0, limit);
  }

  async remove(ids: string[]): Promise<void> {
    for (const id of ids) this.hints.delete(id);
  }
}
