import { EventEmitter } from 'node:events';
import { AppendContention, DatabaseUnavailable, KeyReused } from '../errors.ts';
import { type CurrentState, type KeyUse, type PostVersion, StreamFold, type StreamState } from './fold.ts';
import { type AuthorRef, type ChangeRecord, changeId, type PostOrder, type StreamRecord } from './records.ts';
import type { StreamAccess } from './visibility.ts';
import type { PostWindow, WindowQuery } from './windows.ts';
import type { ChangeStore } from './store.ts';
import { countChange, countDbError, type DbOperation, observeRelayLag } from '../metrics/metrics.ts';

/** What a change will be, decided against the current state; the log adds seq, key and time. */
export type ChangeDraft = Omit<ChangeRecord, '_id' | 'stream' | 'seq' | 'key' | 'fingerprint' | 'at' | 'purged'>;

export interface AppendRequest {
  key: string;
  /** What was asked, hashed: the same key with another request is a 409, not a silent replay. */
  fingerprint: string;
  /** Decides the change against the current state, or throws to refuse it (stale, ended, …). */
  decide(state: StreamFold, seq: number): ChangeDraft;
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

/** A store failure whose outcome nobody knows is, to the author, a database to wait for. */
const unavailable = (operation: DbOperation) => (error: unknown): never => {
  countDbError(operation);
  throw new DatabaseUnavailable({ cause: error });
};
const readFailed = unavailable('read');
const appendFailed = unavailable('append');

/**
 * One stream's log folded into memory, and the only writer of that fold: changes are applied
 * strictly in seq order, whether this process appended them or read them from the store after
 * another process did. Emits `change` (CurrentState) for each applied change that touches what
 * viewers see, and `appended` (the record) for each change this process wrote.
 */
export class StreamProjection extends EventEmitter {
  readonly state = new StreamFold();
  /** Serialises appends and catch-ups: both read the head and move it. */
  private queue: Promise<unknown> = Promise.resolve();
  /** Tasks in the queue: a projection with an append in flight must not be dropped from memory. */
  private queued = 0;

  constructor(
    private readonly record: StreamRecord,
    private readonly store: ChangeStore,
  ) {
    super();
    this.setMaxListeners(0);
  }

  get stream(): StreamRecord {
    return this.record;
  }

  /** The order readers see unless they choose another. */
  get order(): PostOrder {
    return this.state.order ?? this.record.order ?? 'newest';
  }

  get slug(): string {
    return this.stream._id;
  }

  get epoch(): string {
    return this.stream.epoch;
  }

  get head(): number {
    return this.state.head;
  }

  get status(): StreamState {
    return this.state.status;
  }

  /** When readers last saw a change; unset before the first one. */
  get updatedAt(): Date | undefined {
    return this.state.updatedAt;
  }

  /** When the stream was ended; unset while it is live. */
  get endedAt(): Date | undefined {
    return this.state.endedAt;
  }

  get authors(): ReadonlyMap<string, AuthorRef> {
    return this.state.authors;
  }

  /** Who may watch: the log's latest visibility (else the stream record's), members, viewer links. */
  get access(): StreamAccess & { viewerLinks: ReadonlyMap<string, Date> } {
    return { visibility: this.state.access.visibility ?? this.record.visibility ?? 'public', members: this.state.authors, viewerLinks: this.state.access.viewerLinks };
  }

  get postCount(): number {
    return this.state.postCount;
  }

  page(limit: number, beforeCreatedSeq?: number): PostVersion[] {
    return this.state.page(limit, beforeCreatedSeq);
  }

  window(query: WindowQuery): PostWindow<PostVersion> {
    return this.state.window(query);
  }

  windowContaining(postId: string, order: PostOrder, limit: number): PostWindow<PostVersion> | undefined {
    return this.state.windowContaining(postId, order, limit);
  }

  keyMoments(): PostVersion[] {
    return this.state.keyMoments();
  }

  post(postId: string): PostVersion | undefined {
    return this.state.post(postId);
  }

  changesSince(seq: number): CurrentState[] {
    return this.state.changesSince(seq);
  }

  /** Reads the whole log once; then catches up with point lookups past whatever the scan saw. */
  async load(): Promise<void> {
    for (const record of await this.store.readAll(this.slug)) {
      // A scan could in principle miss a just-inserted seq; stop at the first gap and let the
      // point lookups below fill in from there, so the fold only ever sees a gap-free prefix.
      if (record.seq !== this.head + 1) break;
      this.apply(record);
    }
    await this.catchUpUnlocked(false);
  }

  /** Appends a change decided on the current head; on a conflict, catches up and decides again. */
  append(request: AppendRequest): Promise<AppendResult> {
    return this.serialised(() => this.appendUnlocked(request));
  }

  /** Applies whatever other processes appended since our head. Returns how many changes. */
  catchUp(): Promise<number> {
    return this.serialised(() => this.catchUpUnlocked(true));
  }

  /**
   * Catches up if another process appended: the probe for `head + 1` runs outside the write queue,
   * so pollers and readers never make an author's append wait behind a lookup that finds nothing;
   * only applying what it found is serialised.
   */
  async refresh(): Promise<number> {
    const next = await this.store.at(this.slug, this.head + 1).catch(readFailed);
    return next ? this.catchUp() : 0;
  }

  /** True while an append or a catch-up is queued or running. */
  get busy(): boolean {
    return this.queued > 0;
  }

  private async appendUnlocked(request: AppendRequest): Promise<AppendResult> {
    const deadline = Date.now() + APPEND_DEADLINE_MS;
    for (let attempt = 0; ; attempt++) {
      const used = this.state.keyUse(request.key);
      if (used) return this.replay(used, request);

      const seq = this.head + 1;
      const draft = request.decide(this.state, seq);
      const record: ChangeRecord = {
        _id: changeId(this.slug, seq),
        stream: this.slug,
        seq,
        key: request.key,
        fingerprint: request.fingerprint,
        at: new Date(),
        ...draft,
      };
      // An unknown outcome (timeout, lost connection) must not move the head on a guess: a retry
      // with the same key finds the change if it was stored after all.
      if ((await this.store.insert(record).catch(appendFailed)) === 'stored') {
        countChange(record.type);
        this.apply(record);
        this.emit('appended', record);
        return { record, replayed: false };
      }
      // Someone took this seq, or this key: learn what they wrote, then look again.
      if (Date.now() > deadline) throw new AppendContention();
      await sleep(Math.random() * Math.min(MAX_CONFLICT_PAUSE_MS, 2 ** attempt));
      await this.catchUpUnlocked(true);
    }
  }

  private async replay(used: KeyUse, request: AppendRequest): Promise<AppendResult> {
    if (used.fingerprint !== request.fingerprint) throw new KeyReused();
    // The first answer is rebuilt from the log: memory keeps no text for keys.
    const record = await this.store.at(this.slug, used.seq).catch(readFailed);
    if (!record) throw new DatabaseUnavailable();
    return { record, replayed: true };
  }

  /** `relayed`: the projection was current, so what it finds now another process has just stored. */
  private async catchUpUnlocked(relayed: boolean): Promise<number> {
    let applied = 0;
    for (;;) {
      const record = await this.store.at(this.slug, this.head + 1).catch(readFailed);
      if (!record) return applied;
      if (relayed) observeRelayLag(record.at);
      this.apply(record);
      applied++;
    }
  }

  private apply(record: ChangeRecord): void {
    const changed = this.state.apply(record);
    if (changed) this.emit('change', changed, record.at);
  }

  private serialised<T>(task: () => Promise<T>): Promise<T> {
    this.queued++;
    const run = this.queue.then(task, task).finally(() => this.queued--);
    this.queue = run.catch(() => {});
    return run;
  }
}

/**
 * One stream's projection read straight from the store, for tools and tests that run outside a
 * server (export, the admin CLI): the same fold the server uses. Null if there is no such stream.
 */
export async function loadStreamProjection(store: ChangeStore, slug: string): Promise<StreamProjection | null> {
  const stream = await store.stream(slug);
  if (!stream) return null;
  const projection = new StreamProjection(stream, store);
  await projection.load();
  return projection;
}
