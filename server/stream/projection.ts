import { createHash, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { isDuplicateKey } from '../db/database.ts';
import type { ChangeLog } from './log.ts';
import { AppendContention, DatabaseUnavailable, KeyReused } from './errors.ts';
import { changeId, type ChangeRecord, type PostSnapshot, type StreamRecord } from './types.ts';

/** A post as viewers see it now: its latest snapshot, rendered once. */
export interface PostView {
  post: PostSnapshot;
  /** Seq of the latest change that touched the post. */
  seq: number;
  html: string;
}

export type RenderPost = (post: PostSnapshot) => string;

/** What a change will be, decided against the current state; the log adds seq, key and time. */
export type ChangeDraft = Pick<ChangeRecord, 'type' | 'postId' | 'post'>;

export interface AppendRequest {
  key: string;
  /** What was asked, hashed: the same key with another request is a 409, not a silent replay. */
  fingerprint: string;
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
 * another process did. Emits `change` (PostView) for each applied change.
 */
export class StreamProjection extends EventEmitter {
  head = 0;
  private readonly posts = new Map<string, PostView>();
  private readonly keys = new Map<string, ChangeRecord>();
  /** Serialises appends and catch-ups: both read the head and move it. */
  private queue: Promise<unknown> = Promise.resolve();

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

  /** Posts newest first (by creation), optionally only those created before a seq. */
  page(limit: number, beforeCreatedSeq = Infinity): PostView[] {
    const all = [...this.posts.values()]
      .filter((v) => v.post.createdSeq < beforeCreatedSeq)
      .sort((a, b) => b.post.createdSeq - a.post.createdSeq);
    return all.slice(0, limit);
  }

  get postCount(): number {
    return this.posts.size;
  }

  /**
   * What changed after `seq`, compacted: the latest state of each post touched since, in the order
   * of those latest changes. A reader applying these in order ends with exactly the current state.
   */
  changesSince(seq: number): PostView[] {
    return [...this.posts.values()].filter((v) => v.seq > seq).sort((a, b) => a.seq - b.seq);
  }

  /** Appends a change decided on the current head; on a conflict, catches up and decides again. */
  append(request: AppendRequest): Promise<AppendResult> {
    return this.serialised(() => this.appendUnlocked(request));
  }

  /** Applies whatever other processes appended since our head. Returns how many changes. */
  catchUp(): Promise<number> {
    return this.serialised(() => this.catchUpUnlocked());
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
      return { record, replayed: false };
    }
  }

  private replay(existing: ChangeRecord, request: AppendRequest): AppendResult {
    if (existing.fingerprint !== request.fingerprint) throw new KeyReused();
    return { record: existing, replayed: true };
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
    this.keys.set(record.key, record);
    const view: PostView = { post: record.post, seq: record.seq, html: this.render(record.post) };
    this.posts.set(record.postId, view);
    this.emit('change', view);
  }

  private serialised<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => {});
    return run;
  }
}
