import type { AuthorRef, ChangeRecord, PostOrder, PostSnapshot, StreamStatus } from './records.ts';
import { ScheduledPosts } from './scheduled.ts';
import { SubmissionQueue } from './submissions.ts';
import { type PostWindow, type WindowQuery, windowContaining, windowOf } from './windows.ts';
import { type AccessState, foldAccess } from './visibility.ts';

// A stream's log folded into its current state: pure (no I/O, no events, no HTML), so what the
// server shows, what the export writes and what the property tests check is the same function.

/** A post as it stands: its latest snapshot, and the seq of the change that made it so. */
export interface PostVersion {
  kind: 'post';
  post: PostSnapshot;
  seq: number;
}

/** A deleted post: replay tells viewers to remove it, and never serves its text again. */
export interface DeletedPost {
  kind: 'deleted';
  postId: string;
  seq: number;
}

/** The stream's own state. Its seq is that of the latest stream-level change (status or
 *  membership), so viewers get a frame for every seq and can tell a gap from a quiet moment. */
export interface StreamState {
  kind: 'status';
  status: StreamStatus;
  seq: number;
}

/** The current state of one thing a change touched: what replay and live delivery send. */
export type CurrentState = PostVersion | DeletedPost | StreamState;

/** What the fold remembers of each idempotency key: enough to answer a retry, no post text. */
export type KeyUse = Pick<ChangeRecord, '_id' | 'seq' | 'fingerprint' | 'type' | 'postId'>;

/** Changes to who may write or watch, or to the default order: not a "last updated" for readers. */
const NOT_SEEN_BY_READERS = new Set<ChangeRecord['type']>(['member', 'order', 'visibility', 'viewer-link', 'revoke-links', 'announce']);

/** Pinned posts first, then newest first by creation. */
function displayOrder(a: PostVersion, b: PostVersion): number {
  return Number(b.post.pinned) - Number(a.post.pinned) || b.post.createdSeq - a.post.createdSeq;
}

export class StreamFold {
  head = 0;
  status: StreamState = { kind: 'status', status: 'live', seq: 0 };
  /** The stream's authors (admins may write to every stream without being one). */
  readonly authors = new Map<string, AuthorRef>();
  /** When readers last saw something change (a post, an edit, a pin, a deletion, the status). */
  updatedAt?: Date;
  /** When the stream was ended; unset while it is live. */
  endedAt?: Date;
  /** The default order an admin chose after the stream was made (unset: the stream record's). */
  order?: PostOrder;
  /** Contributors' submissions: never among the posts until approved (see submissions.ts). */
  readonly submissions = new SubmissionQueue();
  /** When the stream starts, as announced before its first post (unset: not announced). */
  startsAt?: Date;
  /** Posts to publish later: likewise never among the posts before their time (see scheduled.ts). */
  readonly scheduled = new ScheduledPosts();
  /** Who may watch: the visibility an admin set and the viewer links that work (visibility.ts). */
  readonly access: AccessState = { viewerLinks: new Map() };
  private readonly posts = new Map<string, PostVersion | DeletedPost>();
  private readonly keys = new Map<string, KeyUse>();

  /**
   * Folds the next change in. Changes come strictly in seq order: a gap or a repeat is a bug
   * upstream, and folding past it would show viewers a state the log never had.
   * Returns the state it changed (none for a record that touches nothing viewers see).
   */
  apply(record: ChangeRecord): CurrentState | undefined {
    if (record.seq !== this.head + 1) {
      throw new Error(`change ${record._id} applied out of order at head ${this.head}`);
    }
    this.head = record.seq;
    const { _id, seq, fingerprint, type, postId } = record;
    this.keys.set(record.key, { _id, seq, fingerprint, type, postId });
    return this.fold(record);
  }

  /** The change an idempotency key already made, if any. */
  keyUse(key: string): KeyUse | undefined {
    return this.keys.get(key);
  }

  /**
   * The posts a page shows: pinned ones first, then the rest newest first. An older page (posts
   * created before a seq) leaves the pinned ones out: the first page already shows them.
   */
  page(limit: number, beforeCreatedSeq?: number): PostVersion[] {
    const live = this.livePosts();
    const shown = beforeCreatedSeq === undefined ? live : live.filter((v) => !v.post.pinned && v.post.createdSeq < beforeCreatedSeq);
    return shown.sort(displayOrder).slice(0, limit);
  }

  /** The page a query asks for, in either order (see windows.ts). */
  window(query: WindowQuery): PostWindow<PostVersion> {
    return windowOf(this.livePosts(), query);
  }

  /** The page of `limit` posts, in `order`, on which a live post falls; undefined if there is none. */
  windowContaining(postId: string, order: PostOrder, limit: number): PostWindow<PostVersion> | undefined {
    return windowContaining(this.livePosts(), postId, order, limit);
  }

  /** Live posts marked as key moments, oldest first: the list at the top of the page. */
  keyMoments(): PostVersion[] {
    return this.livePosts()
      .filter((v) => v.post.key)
      .sort((a, b) => a.post.createdSeq - b.post.createdSeq);
  }

  post(postId: string): PostVersion | undefined {
    const version = this.posts.get(postId);
    return version?.kind === 'post' ? version : undefined;
  }

  get postCount(): number {
    let count = 0;
    for (const version of this.posts.values()) if (version.kind === 'post') count++;
    return count;
  }

  /**
   * What changed after `seq`, compacted: the current state of each post (or its deletion) and of
   * the stream's status touched since, in the order of those latest changes. A reader applying
   * these in order ends with exactly the current state, and never sees deleted or pre-edit text.
   */
  changesSince(seq: number): CurrentState[] {
    const touched: CurrentState[] = [...this.posts.values()].filter((v) => v.seq > seq);
    if (this.status.seq > seq) touched.push(this.status);
    return touched.sort((a, b) => a.seq - b.seq);
  }

  private livePosts(): PostVersion[] {
    return [...this.posts.values()].filter((v): v is PostVersion => v.kind === 'post');
  }

  private fold(record: ChangeRecord): CurrentState | undefined {
    const { seq } = record;
    if (record.type === 'submit' || record.type === 'reject') return this.foldUnseen(record, this.submissions);
    if (record.type === 'schedule' || record.type === 'unschedule') return this.foldUnseen(record, this.scheduled);
    // An approval, or a scheduled post's time, publishes the post: it folds in below as a new post.
    if (record.type === 'approve') this.submissions.apply(record);
    if (record.type === 'publish') this.scheduled.apply(record);
    // Readers' "last updated": what they see change (not who may write, nor the default order).
    if (!NOT_SEEN_BY_READERS.has(record.type)) this.updatedAt = record.at;
    if (record.type === 'announce') {
      this.startsAt = record.startsAt;
      this.status = { ...this.status, seq };
      return this.status;
    }
    if (record.type === 'status') {
      this.status = { kind: 'status', status: record.status ?? 'live', seq };
      this.endedAt = this.status.status === 'ended' ? record.at : undefined;
      return this.status;
    }
    if (record.type === 'order') {
      this.order = record.order;
      this.status = { ...this.status, seq };
      return this.status;
    }
    if (foldAccess(this.access, record)) {
      this.status = { ...this.status, seq };
      return this.status;
    }
    if (record.type === 'member') {
      if (record.member && record.active) this.authors.set(record.member.id, record.member);
      else if (record.member) this.authors.delete(record.member.id);
      this.status = { ...this.status, seq };
      return this.status;
    }
    if (!record.postId) return undefined;
    if (record.type === 'delete' || !record.post) {
      // A deletion, or a snapshot a purge removed (a later change of that post holds its state).
      const deleted: DeletedPost = { kind: 'deleted', postId: record.postId, seq };
      this.posts.set(record.postId, deleted);
      return deleted;
    }
    const version: PostVersion = { kind: 'post', post: record.post, seq };
    this.posts.set(record.postId, version);
    return version;
  }

  /** A submission or its rejection, a post scheduled or cancelled: viewers learn only that the seq
   *  moved (a `stream` frame), never its text, and their "last updated" stays. */
  private foldUnseen(record: ChangeRecord, into: { apply(record: ChangeRecord): void }): StreamState {
    into.apply(record);
    this.status = { ...this.status, seq: record.seq };
    return this.status;
  }
}
