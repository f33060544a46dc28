import { createHash, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { isDuplicateKey } from '../db/database.ts';
import type { ChangeLog } from './log.ts';
import { AppendContention, DatabaseUnavailable, KeyReused } from './errors.ts';
import { changeId, type AuthorRef, type ChangeRecord, type PostSnapshot, type StreamRecord, type StreamStatus } from './types.ts';

/** A post as viewers see it now: its latest snapshot, rendered once. */
export interface PostView {
  kind: 'post';
  post: PostSnapshot;
  /** Seq of the latest change that touched the post. */
  seq: number;
  readonly html: string;
}

/** A deleted post: replay tells viewers to remove it, and never serves its text again. */
export interface DeletedPost {
  kind: 'deleted';
  postId: string;
  seq: number;
}

/** The stream's own state. Its seq is that of the latest stream-level change (status or
 *  membership), so viewers get a frame for every seq and can tell a gap from a quiet moment. */
export interface StatusView {
  kind: 'status';
  status: StreamStatus;
  seq: number;
}

/** The latest state of one thing a change touched: what replay and live delivery send. */
export type Latest = PostView | DeletedPost | StatusView;

/** Renders a post version as public HTML; the stream is where its photos are served from. */
export type RenderPost = (post: PostSnapshot, seq: number, stream: string) => string;

/** What a change will be, decided against the current state; the log adds seq, key and time. */
export type ChangeDraft = Pick<ChangeRecord, 'type' | 'by' | 'postId' | 'post' | 'status' | 'member' | 'active'>;

export interface AppendRequest {
  key: string;
  /** What was asked, hashed: the same key with another request is a 409, not a silent replay. */
  fingerprint: string;
  /** Decides the change against the current state, or throws to refuse it (stale, ended, …). */
  decide(state: StreamProjection, seq: number): ChangeDraft;
}

export interface AppendResult {
  record: ChangeRecord;
  /** True when the key had already been used: nothing new was written. */
  replayed: boolean;
}

/**
 * How long an append keeps retrying after conflicts before answering 503. Under a burst from
 * another instance, the one that just appended wins the next seq more often than not (it needs one
 * round trip, the loser a probe and an insert), so a budget of attempts would fail authors that
 * time would serve; a jittered pause after each conflict lets the two interleave.
 */
const APPEND_DEADLINE_MS = 5000;
const MAX_CONFLICT_PAUSE_MS = 20;

/** What the projection remembers of each key: enough to answer a retry, no post text. */
type KeyEntry = Pick<ChangeRecord, '_id' | 'seq' | 'fingerprint' | 'type' | 'postId'>;

/** Pinned posts first, then newest first by creation. */
function displayOrder(a: PostView, b: PostView): number {
  return Number(b.post.pinned) - Number(a.post.pinned) || b.post.createdSeq - a.post.createdSeq;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function fingerprintOf(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('base64url');
}

export function newPostId(): string {
  return randomUUID();
}

/**
 * One stream's log folded into memory. It is the only writer of its own state: changes are applied
 * strictly in seq order, whether this process appended them or read them from the database after
 * another process did. Emits `change` (Latest) for each applied change, and `appended` (the
 * record) for each change this process wrote.
 */
export class StreamProjection extends EventEmitter {
  head = 0;
  status: StatusView = { kind: 'status', status: 'live', seq: 0 };
  /** The stream's authors (admins may write to every stream without being one). */
  readonly authors = new Map<string, AuthorRef>();
  private readonly posts = new Map<string, PostView | DeletedPost>();
  private readonly keys = new Map<string, KeyEntry>();
  /** Serialises appends and catch-ups: both read the head and move it. */
  private queue: Promise<unknown> = Promise.resolve();
  /** Tasks in the queue: a projection with an append in flight must not be dropped from memory. */
  private queued = 0;

  constructor(
    readonly stream: StreamRecord,
    private readonly log: ChangeLog,
    private readonly render: RenderPost,
  ) {
    super();
    this.setMaxListeners(0);
  }

  get slug(): string {
    return this.stream._id;
  }

  /** Reads the whole log once; then catches up with point lookups past whatever the scan saw. */
  async load(): Promise<void> {
    const records = await this.log.readAll(this.slug);
    for (const record of records) {
      // A scan could in principle miss a just-inserted seq; stop at the first gap and let the
      // point lookups below fill in from there, so the fold only ever sees a gap-free prefix.
      if (record.seq !== this.head + 1) break;
      this.apply(record);
    }
    await this.catchUpUnlocked();
  }

  /**
   * The posts a page shows: pinned ones first, then the rest newest first. An older page (posts
   * created before a seq) leaves the pinned ones out: the first page already shows them.
   */
  page(limit: number, beforeCreatedSeq?: number): PostView[] {
    const live = [...this.posts.values()].filter((v): v is PostView => v.kind === 'post');
    const shown = beforeCreatedSeq === undefined ? live : live.filter((v) => !v.post.pinned && v.post.createdSeq < beforeCreatedSeq);
    return shown.sort(displayOrder).slice(0, limit);
  }

  post(postId: string): PostView | undefined {
    const view = this.posts.get(postId);
    return view?.kind === 'post' ? view : undefined;
  }

  get postCount(): number {
    let count = 0;
    for (const view of this.posts.values()) if (view.kind === 'post') count++;
    return count;
  }

  /**
   * What changed after `seq`, compacted: the latest state of each post (or its deletion) and of the
   * stream's status touched since, in the order of those latest changes. A reader applying these in
   * order ends with exactly the current state, and never sees deleted or pre-edit text.
   */
  changesSince(seq: number): Latest[] {
    const touched: Latest[] = [...this.posts.values()].filter((v) => v.seq > seq);
    if (this.status.seq > seq) touched.push(this.status);
    return touched.sort((a, b) => a.seq - b.seq);
  }

  /** Appends a change decided on the current head; on a conflict, catches up and decides again. */
  append(request: AppendRequest): Promise<AppendResult> {
    return this.serialised(() => this.appendUnlocked(request));
  }

  /** Applies whatever other processes appended since our head. Returns how many changes. */
  catchUp(): Promise<number> {
    return this.serialised(() => this.catchUpUnlocked());
  }

  /**
   * Catches up if another process appended: the probe for `head + 1` runs outside the write queue,
   * so pollers and readers never make an author's append wait behind a lookup that finds nothing;
   * only applying what it found is serialised.
   */
  async refresh(): Promise<number> {
    let next: ChangeRecord | null;
    try {
      next = await this.log.at(this.slug, this.head + 1);
    } catch (error) {
      throw new DatabaseUnavailable({ cause: error });
    }
    return next ? this.catchUp() : 0;
  }

  /** True while an append or a catch-up is queued or running. */
  get busy(): boolean {
    return this.queued > 0;
  }

  private async appendUnlocked(request: AppendRequest): Promise<AppendResult> {
    const deadline = Date.now() + APPEND_DEADLINE_MS;
    for (let attempt = 0; ; attempt++) {
      const existing = this.keys.get(request.key);
      if (existing) return this.replay(existing, request);

      const seq = this.head + 1;
      const draft = request.decide(this, seq);
      const record: ChangeRecord = {
        _id: changeId(this.slug, seq),
        stream: this.slug,
        seq,
        key: request.key,
        fingerprint: request.fingerprint,
        at: new Date(),
        ...draft,
      };
      try {
        await this.log.insert(record);
      } catch (error) {
        if (!isDuplicateKey(error)) {
          // The outcome is unknown (timeout, lost connection): the head must not move on a guess.
          // A retry with the same key finds the change if it was stored after all.
          throw new DatabaseUnavailable({ cause: error });
        }
        // Someone took this seq, or this key: learn what they wrote, then look again.
        if (Date.now() > deadline) throw new AppendContention();
        await sleep(Math.random() * Math.min(MAX_CONFLICT_PAUSE_MS, 2 ** attempt));
        await this.catchUpUnlocked();
        continue;
      }
      this.apply(record);
      this.emit('appended', record);
      return { record, replayed: false };
    }
  }

  private async replay(existing: KeyEntry, request: AppendRequest): Promise<AppendResult> {
    if (existing.fingerprint !== request.fingerprint) throw new KeyReused();
    // The first answer is rebuilt from the log: memory keeps no text for keys.
    const record = await this.log.at(this.slug, existing.seq).catch((error: unknown) => {
      throw new DatabaseUnavailable({ cause: error });
    });
    if (!record) throw new DatabaseUnavailable();
    return { record, replayed: true };
  }

  private async catchUpUnlocked(): Promise<number> {
    let applied = 0;
    for (;;) {
      let record: ChangeRecord | null;
      try {
        record = await this.log.at(this.slug, this.head + 1);
      } catch (error) {
        throw new DatabaseUnavailable({ cause: error });
      }
      if (!record) return applied;
      this.apply(record);
      applied++;
    }
  }

  private apply(record: ChangeRecord): void {
    if (record.seq !== this.head + 1) {
      throw new Error(`change ${record._id} applied out of order at head ${this.head}`);
    }
    this.head = record.seq;
    const { _id, seq, fingerprint, type, postId } = record;
    this.keys.set(record.key, { _id, seq, fingerprint, type, postId });
    const latest = this.fold(record);
    if (latest) this.emit('change', latest);
  }

  private fold(record: ChangeRecord): Latest | undefined {
    const { seq } = record;
    if (record.type === 'status') {
      this.status = { kind: 'status', status: record.status ?? 'live', seq };
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
    const { post } = record;
    const { render, slug } = this;
    let html: string | undefined;
    // Rendered on first use: loading a long log does not render versions nobody will see again.
    const view: PostView = {
      kind: 'post',
      post,
      seq,
      get html() {
        return (html ??= render(post, seq, slug));
      },
    };
    this.posts.set(record.postId, view);
    return view;
  }

  private serialised<T>(task: () => Promise<T>): Promise<T> {
    this.queued++;
    const run = this.queue.then(task, task).finally(() => this.queued--);
    this.queue = run.catch(() => {});
    return run;
  }
}
