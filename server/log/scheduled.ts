import type { AuthorRef, ChangeRecord, PostSnapshot } from './records.ts';

// Posts scheduled for later, as the log folds them: kept apart from the stream's posts (like
// contributors' submissions), so nothing that serves viewers can reach one before its time.

export interface ScheduledPost {
  post: PostSnapshot;
  publishAt: Date;
  /** Who scheduled it (or last changed it). */
  by: AuthorRef;
  /** The seq of its latest schedule change. */
  seq: number;
}

export class ScheduledPosts {
  private readonly all = new Map<string, ScheduledPost>();
  /** Moves with every change of the schedule. */
  version = 0;

  apply(record: ChangeRecord): void {
    const id = record.postId;
    if (!id) return;
    this.version++;
    if (record.type === 'schedule' && record.post && record.publishAt) {
      this.all.set(id, { post: record.post, publishAt: record.publishAt, by: record.by, seq: record.seq });
    } else {
      this.all.delete(id); // cancelled or published (or a snapshot a purge removed)
    }
  }

  get(id: string): ScheduledPost | undefined {
    return this.all.get(id);
  }

  get size(): number {
    return this.all.size;
  }

  /** Soonest first. */
  list(): ScheduledPost[] {
    return [...this.all.values()].sort((a, b) => a.publishAt.getTime() - b.publishAt.getTime());
  }

  /** Those whose time has come. */
  due(now: Date): ScheduledPost[] {
    return this.list().filter((s) => s.publishAt.getTime() <= now.getTime());
  }
}
