import type { Logger } from 'pino';
import { DatabaseUnavailable, StreamNotFound, TooManyOpenStreams } from '../errors.ts';
import { CatchUpLoop, nobodyWatches, type WatchedStreams } from './catch-up-loop.ts';
import { CatchUpSchedule } from './catch-up-schedule.ts';
import { loadStreamProjection, type StreamProjection } from './projection.ts';
import type { ChangeRecord } from './records.ts';
import { SeqWaiters } from './seq-waiters.ts';
import type { ChangeStore } from './store.ts';
import { countDbError } from '../metrics/metrics.ts';

export interface ProjectionsOptions {
  store: ChangeStore;
  logger: Logger;
  /** How often to probe every watched stream for changes other processes appended while the
   *  doorbell cannot vouch for them; also how stale an unwatched one may be before its next use
   *  probes first. */
  catchUpMs: number;
  /** How often while the doorbell is healthy (a safety net for a lost ring); `catchUpMs` if unset. */
  catchUpSafetyMs?: number;
  /** Told of every change this process appends (app.ts rings the doorbell, so other instances hear of it). */
  onAppended?: (stream: string, seq: number) => void;
  watched?: WatchedStreams;
  /** Projections kept past which the least recently used one without viewers is dropped. */
  maxOpen?: number;
  /** A projection without viewers unused this long is dropped. */
  idleMs?: number;
}

interface Entry {
  pending: Promise<StreamProjection | null>;
  /** Set once loaded. */
  projection?: StreamProjection;
  usedAt: number;
  /** When it was last known current (loaded, or probed for others' changes). */
  freshAt: number;
  refreshing?: Promise<StreamProjection>;
  /** The highest seq another instance rang for this stream: a ring past the next one shows a lost ring. */
  rung?: number;
}

/**
 * The in-memory projections of this process, one per stream in use. A stream is loaded once
 * however many requests arrive together (a restart with thousands of reconnecting viewers costs
 * one scan). Watched streams are kept current by their own appends and the catch-up loop; an
 * unwatched one is probed when next used. Memory is bounded: past `maxOpen`, or after `idleMs`
 * unused, a projection nobody watches is dropped and read again when next asked for.
 */
export class Projections {
  /** In least-recently-used order: each use moves a stream to the end. */
  private readonly loaded = new Map<string, Entry>();
  private readonly waiters = new SeqWaiters();
  private readonly catchUp: CatchUpLoop;
  private readonly schedule: CatchUpSchedule;
  private readonly watched: WatchedStreams;
  private readonly maxOpen: number;
  private readonly idleMs: number;

  constructor(private readonly options: ProjectionsOptions) {
    this.watched = options.watched ?? nobodyWatches;
    this.maxOpen = options.maxOpen ?? 500;
    this.idleMs = options.idleMs ?? 600_000;
    const round = {
      beforeRound: () => this.evictIdle(Date.now()),
      present: (ids: readonly string[]) => options.store.present(ids),
      probed: (projection: StreamProjection) => {
        const entry = this.loaded.get(projection.slug);
        if (entry?.projection !== projection) return;
        // Watched counts as used: the idle clock starts when the last viewer leaves.
        entry.freshAt = Date.now();
        this.touch(projection.slug, entry, entry.freshAt);
      },
    };
    this.schedule = new CatchUpSchedule({ fastMs: options.catchUpMs, safetyMs: options.catchUpSafetyMs ?? options.catchUpMs });
    this.catchUp = new CatchUpLoop(this.watched, this.schedule, round, options.logger);
  }

  /** How many projections are in memory (or being loaded). */
  get open(): number {
    return this.loaded.size;
  }

  /** Streams the catch-up loop has probed since start. */
  get catchUpProbes(): number {
    return this.catchUp.probes;
  }

  /** Probe queries the catch-up loop has sent since start (one per round for up to PROBE_BATCH streams). */
  get catchUpQueries(): number {
    return this.catchUp.queries;
  }

  /**
   * The stream's projection, current as of now (give or take one catch-up interval), or null if
   * there is no such stream.
   */
  get(slug: string): Promise<StreamProjection | null> {
    const now = Date.now();
    const cached = this.loaded.get(slug);
    if (cached) {
      this.touch(slug, cached, now);
      return cached.projection ? this.current(slug, cached, cached.projection, now) : cached.pending;
    }
    // Every open stream is watched or busy: load beyond the cap, but only so far.
    if (this.loaded.size >= 2 * this.maxOpen) {
      this.evictPastCap();
      if (this.loaded.size >= 2 * this.maxOpen) return Promise.reject(new TooManyOpenStreams());
    }
    const entry: Entry = { pending: this.load(slug), usedAt: now, freshAt: now };
    this.loaded.set(slug, entry);
    // A failed or negative load is not kept: the stream may be created, the database may return.
    const forget = () => this.loaded.get(slug) === entry && this.loaded.delete(slug);
    entry.pending.then(
      (projection) => {
        if (!projection) return forget();
        entry.projection = projection;
        entry.freshAt = Date.now();
        this.evictPastCap();
      },
      forget,
    );
    return entry.pending;
  }

  /** The stream's projection; a missing stream is a StreamNotFound to whoever asked. */
  async require(slug: string): Promise<StreamProjection> {
    const projection = await this.get(slug);
    if (!projection) throw new StreamNotFound(slug);
    return projection;
  }

  /** Waits until this process shows `seq` of a stream (or the timeout passes); returns the head. */
  waitFor(projection: StreamProjection, seq: number, timeoutMs: number): Promise<number> {
    return this.waiters.waitFor(projection, seq, timeoutMs);
  }

  /** Another instance rang the doorbell: a stream has reached `seq`: catch up now rather than at the next probe. */
  onRing(slug: string, seq: number): void {
    const entry = this.loaded.get(slug);
    const projection = entry?.projection;
    if (!entry || !projection) return;
    if (seq > Math.max(projection.head, entry.rung ?? 0) + 1) {
      // A ring between was lost (or overtaken): probe fast for a while in case more are.
      this.schedule.gapSeen(Date.now());
      this.catchUp.wake();
    }
    entry.rung = Math.max(entry.rung ?? 0, seq);
    if (projection.head < seq) projection.catchUp().catch(() => {}); // the catch-up loop will try again
  }

  /** The doorbell can (or no longer can) vouch that other instances' changes are rung: sets the catch-up pace. */
  onDoorbellHealth(healthy: boolean): void {
    this.schedule.doorbell(healthy, Date.now());
    this.catchUp.wake();
  }

  startCatchUp(): void {
    this.catchUp.start();
  }

  stop(): void {
    this.catchUp.stop();
  }

  /** Marks a stream used now: it moves to the most recently used end of `loaded`. */
  private touch(slug: string, entry: Entry, now: number): void {
    entry.usedAt = now;
    this.loaded.delete(slug);
    this.loaded.set(slug, entry);
  }

  /** A loaded projection, first probed for others' changes if nobody watches it and it may be stale. */
  private current(slug: string, entry: Entry, projection: StreamProjection, now: number): Promise<StreamProjection> {
    if (this.watched.isWatched(slug) || now - entry.freshAt < this.options.catchUpMs) return Promise.resolve(projection);
    // One probe however many requests arrive together; if the database does not answer, what is
    // in memory is still the best answer a reader can get.
    entry.refreshing ??= projection
      .refresh()
      .catch((error: unknown) => this.options.logger.debug({ stream: slug, err: error }, 'refresh failed'))
      .then(() => {
        entry.freshAt = Date.now();
        entry.refreshing = undefined;
        return projection;
      });
    return entry.refreshing;
  }

  private async load(slug: string): Promise<StreamProjection | null> {
    const started = Date.now();
    let projection: StreamProjection | null;
    try {
      projection = await loadStreamProjection(this.options.store, slug);
    } catch (error) {
      if (error instanceof DatabaseUnavailable) throw error; // counted where it failed
      countDbError('load');
      throw new DatabaseUnavailable({ cause: error });
    }
    if (!projection) return null;
    const { onAppended } = this.options;
    if (onAppended) projection.on('appended', (record: ChangeRecord) => onAppended(record.stream, record.seq));
    this.options.logger.info({ stream: slug, head: projection.head, posts: projection.postCount, ms: Date.now() - started }, 'stream loaded');
    return projection;
  }

  /**
   * A projection may be dropped when it is loaded and nobody depends on it: no viewers (they would
   * stop getting changes), no append or catch-up in flight, no page waiting for a seq of it.
   */
  private evictable(slug: string, entry: Entry): boolean {
    const { projection } = entry;
    return projection !== undefined && !projection.busy && !this.waiters.isWaitedOn(projection) && !this.watched.isWatched(slug);
  }

  private evictPastCap(): void {
    if (this.loaded.size <= this.maxOpen) return;
    for (const [slug, entry] of this.loaded) {
      if (this.loaded.size <= this.maxOpen) return;
      if (this.evictable(slug, entry)) this.evict(slug, 'over the cap');
    }
  }

  private evictIdle(now: number): void {
    for (const [slug, entry] of this.loaded) {
      if (now - entry.usedAt < this.idleMs) return; // the rest were used more recently
      if (this.evictable(slug, entry)) this.evict(slug, 'idle');
    }
  }

  private evict(slug: string, reason: string): void {
    this.loaded.delete(slug);
    this.options.logger.debug({ stream: slug, reason, open: this.loaded.size }, 'stream dropped from memory');
  }
}
