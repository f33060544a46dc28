import type { AuthorRef, ChangeRecord, PostSnapshot } from './records.ts';

// Contributors' submissions as the log folds them: what editors review and what each contributor
// sees of their own. Kept apart from the stream's posts, so no path that serves viewers (pages,
// replay, feeds, export, the API) can reach a submission's text before it is approved.

export type SubmissionStatus = 'pending' | 'approved' | 'rejected';

export interface Submission {
  id: string;
  author: AuthorRef;
  status: SubmissionStatus;
  submittedAt: Date;
  /** The seq of its latest change (submitted, approved or rejected). */
  seq: number;
  /** The post as submitted, while it waits (a purge may have removed it); dropped once reviewed. */
  post?: PostSnapshot;
  /** Its headline or the start of its text, kept after review for the contributor's list. */
  summary: string;
  reviewedBy?: AuthorRef;
  reviewedAt?: Date;
  /** Why it was rejected. */
  reason?: string;
}

/** Reviewed submissions kept per stream for their contributors' lists; older ones are forgotten. */
export const MAX_REVIEWED_KEPT = 500;
const SUMMARY_LENGTH = 100;

function summaryOf(post: PostSnapshot | undefined): string {
  if (!post) return '';
  if (post.headline) return post.headline;
  const text = post.body.replace(/\s+/g, ' ').trim();
  if (!text && post.media?.length) return post.media[0]?.alt || '(photo)';
  return text.length > SUMMARY_LENGTH ? `${text.slice(0, SUMMARY_LENGTH - 1).trimEnd()}…` : text;
}

export class SubmissionQueue {
  /** In submission order: pending ones stay, reviewed ones past MAX_REVIEWED_KEPT are forgotten. */
  private readonly all = new Map<string, Submission>();
  private reviewed = 0;
  /** Moves with every submit, approve and reject: whoever shows the queue redraws when it moves. */
  version = 0;

  /** Folds a submit, approve or reject change in. */
  apply(record: ChangeRecord): void {
    const id = record.postId;
    if (!id) return;
    this.version++;
    if (record.type === 'submit') {
      const submittedAt = record.post?.createdAt ?? record.at;
      this.all.set(id, { id, author: record.by, status: 'pending', submittedAt, seq: record.seq, post: record.post, summary: summaryOf(record.post) });
      return;
    }
    const submission = this.all.get(id);
    if (submission?.status !== 'pending') return;
    const { post: _text, ...rest } = submission;
    const status: SubmissionStatus = record.type === 'approve' ? 'approved' : 'rejected';
    this.all.set(id, { ...rest, status, seq: record.seq, reviewedBy: record.by, reviewedAt: record.at, ...(record.reason ? { reason: record.reason } : {}) });
    if (++this.reviewed > MAX_REVIEWED_KEPT) this.forgetOldestReviewed();
  }

  get(id: string): Submission | undefined {
    return this.all.get(id);
  }

  /** What waits for an editor, oldest first. */
  pending(): Submission[] {
    return [...this.all.values()].filter((s) => s.status === 'pending');
  }

  pendingBy(authorId: string): number {
    let count = 0;
    for (const s of this.all.values()) if (s.status === 'pending' && s.author.id === authorId) count++;
    return count;
  }

  /** One contributor's submissions, newest first. */
  of(authorId: string): Submission[] {
    return [...this.all.values()].filter((s) => s.author.id === authorId).reverse();
  }

  private forgetOldestReviewed(): void {
    for (const [id, s] of this.all) {
      if (s.status === 'pending') continue;
      this.all.delete(id);
      this.reviewed--;
      return;
    }
  }
}
