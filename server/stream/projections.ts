import type { Collection } from 'mongodb';
import type { Logger } from 'pino';
import createError from '@fastify/error';
import { ChangeLog } from './log.ts';
import { StreamProjection, type RenderPost } from './projection.ts';
import { DatabaseUnavailable, StreamNotFound } from './errors.ts';
import type { ChangeRecord, StreamRecord } from './types.ts';

export const TooManyOpenStreams = createError(
  'LIVELOG_TOO_MANY_OPEN_STREAMS',
  'This server is serving as many streams as it can hold; try again shortly',
  503,
);

/** Who watches which stream (the live hub): watched projections stay open and are probed. */
export interface WatchedStreams {
  isWatched(slug: string): boolean;
  watchedProjections(): Iterable<StreamProjection>;
}

export interface ProjectionsOptions {
  changes: Collection<ChangeRecord>;
  streams: Collection<StreamRecord>;
  render: RenderPost;
  logger: Logger;
  /** How often to probe every watched stream for changes other processes appended; also how
   *  stale an unwatched one may be before its next use probes first. */
  catchUpMs: number;
  /** Told of every change this process appends (it rings the other instances' doorbell). */
  onAppended?: (stream: string, seq: number) => void;
  watched?: WatchedStreams;
  /** Projections kept past which the least recently used one without viewers is dropped. */
  maxOpen?: number;
  /** A projection without viewers unused this long is dropped. */
  idleMs?: number;
}

/** `?at=` waiters per stream and in all; past either, a page renders at once without waiting. */
const MAX_WAITERS_PER_STREAM = 100;
const MAX_WAITERS = 1000;
/** How often a stream with `?at=` waiters is probed (one poller per stream, however many wait). */
const WAIT_POLL_MS = 50;

interface Entry {
  pending: Promise<StreamProjection | null>;
  /** Set once loaded. */
  projection?: StreamProjection;
  usedAt: number;
  /** When it was last known current (loaded, or probed for others' changes). */
  freshAt: number;
  refreshing?: Promise<StreamProjection>;
}

interface Waiter {
  seq: number;
  done(): void;
}

const nobodyWatches: WatchedStreams = { isWatched: () => false, watchedProjections: () => [] };

/**
 * The in-memory projections of this process, one per stream in use. A stream is loaded once
 * however many requests arrive together (a restart with thousands of reconnecting viewers costs
 * one scan). Watched streams are kept current by their own appends and a catch-up loop that probes
 * only them, so its cost follows the streams people watch, not the streams ever opened; an
 * unwatched one is probed when next used. Memory is bounded: past `maxOpen`, or after `idleMs`
 * unused, a projection nobody watches is dropped and read again when next asked for.
 */
export class Projections {
  /** In least-recently-used order: each use moves a stream to the end. */
  private readonly loaded = new Map<string, Entry>();
  private readonly waits = new Map<StreamProjection, Set<Waiter>>();
  private waiting = 0;
  private timer: NodeJS.Timeout | undefined;
  private catchingUp = false;
  private readonly watched: WatchedStreams;
  private readonly maxOpen: number;
  private readonly idleMs: number;
  /** Streams the catch-up loop has probed since start: it should follow the watched ones only. */
  catchUpProbes = 0;

  constructor(private readonly options: ProjectionsOptions) {
    this.watched = options.watched ?? nobodyWatches;
    this.maxOpen = options.maxOpen ?? 500;
    this.idleMs = options.idleMs ?? 600_000;
  }

  /** How many projections are in memory (or being loaded). */
  get open(): number {
    return this.loaded.size;
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
      return cached.projection ? this.current(slug, cached, now) : cached.pending;
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

  /** Marks a stream used now: it moves to the most recently used end of `loaded`. */
  private touch(slug: string, entry: Entry, now: number): void {
    entry.usedAt = now;
    this.loaded.delete(slug);
    this.loaded.set(slug, entry);
  }

  /** The stream's projection; a missing stream is a 404 to whoever asked. */
  async require(slug: string): Promise<StreamProjection> {
    const projection = await this.get(slug);
    if (!projection) throw new StreamNotFound(slug);
    return projection;
  }

  /** A loaded projection, first probed for others' changes if nobody watches it and it may be stale. */
  private current(slug: string, entry: Entry, now: number): Promise<StreamProjection> {
    const projection = entry.projection!;
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
      projection = await loadStreamProjection(this.options, slug, this.options.render);
    } catch (error) {
      if (error instanceof DatabaseUnavailable) throw error;
      throw new DatabaseUnavailable({ cause: error });
    }
    if (!projection) return null;
    const { onAppended } = this.options;
    if (onAppended) projection.on('appended', (record: ChangeRecord) => onAppended(record.stream, record.seq));
    this.options.logger.info(
      { stream: slug, head: projection.head, posts: projection.postCount, ms: Date.now() - started },
      'stream loaded',
    );
    return projection;
  }

  /**
   * A projection may be dropped when it is loaded and nobody depends on it: no viewers (they would
   * stop getting changes), no append or catch-up in flight, no page waiting for a seq of it.
   */
  private evictable(slug: string, entry: Entry): boolean {
    const { projection } = entry;
    return projection !== undefined && !projection.busy && !this.waits.has(projection) && !this.watched.isWatched(slug);
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

  /**
   * Waits until this process shows `seq` of a stream (or the timeout passes); returns the head.
   * Every page waiting on one stream shares one poller; past the waiter bounds, it does not wait.
   */
  waitFor(projection: StreamProjection, seq: number, timeoutMs: number): Promise<number> {
    if (projection.head >= seq) return Promise.resolve(projection.head);
    const waiters = this.waits.get(projection);
    if ((waiters?.size ?? 0) >= MAX_WAITERS_PER_STREAM || this.waiting >= MAX_WAITERS) return Promise.resolve(projection.head);
    const first = !waiters;
    const set = waiters ?? new Set<Waiter>();
    if (first) this.waits.set(projection, set);
    const waited = new Promise<number>((resolve) => {
      const waiter: Waiter = {
        seq,
        done: () => {
          if (!set.delete(waiter)) return;
          clearTimeout(timer);
          this.waiting--;
          resolve(projection.head);
        },
      };
      const timer = setTimeout(waiter.done, timeoutMs);
      set.add(waiter);
      this.waiting++;
    });
    if (first) void this.pollFor(projection, set);
    return waited;
  }

  private async pollFor(projection: StreamProjection, waiters: Set<Waiter>): Promise<void> {
    const settle = () => {
      for (const waiter of waiters) if (projection.head >= waiter.seq) waiter.done();
    };
    projection.on('change', settle); // an append or the catch-up loop may get there first
    try {
      while (waiters.size > 0) {
        await projection.refresh().catch(() => 0);
        settle();
        if (waiters.size > 0) await new Promise((resolve) => setTimeout(resolve, WAIT_POLL_MS));
      }
    } finally {
      projection.off('change', settle);
      this.waits.delete(projection);
    }
  }

  /** Another instance rang the doorbell: a stream has reached `seq`; catch up now, not at the next probe. */
  onRing(slug: string, seq: number): void {
    const projection = this.loaded.get(slug)?.projection;
    if (projection && projection.head < seq) projection.catchUp().catch(() => {}); // the catch-up loop will try again
  }

  startCatchUp(): void {
    this.timer ??= setInterval(() => void this.catchUpAll(), this.options.catchUpMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async catchUpAll(): Promise<void> {
    if (this.catchingUp) return; // a slow database must not pile up probes
    this.catchingUp = true;
    try {
      this.evictIdle(Date.now());
      for (const projection of [...this.watched.watchedProjections()]) {
        this.catchUpProbes++;
        const applied = await projection.refresh().catch((error: unknown) => {
          this.options.logger.warn({ stream: projection.slug, err: error }, 'catch-up failed');
          return 0;
        });
        const entry = this.loaded.get(projection.slug);
        if (entry?.projection === projection) {
          // Watched counts as used: the idle clock starts when the last viewer leaves.
          entry.freshAt = Date.now();
          this.touch(projection.slug, entry, entry.freshAt);
        }
        if (applied > 0) this.options.logger.debug({ stream: projection.slug, applied }, 'caught up');
      }
    } finally {
      this.catchingUp = false;
    }
  }
}

/**
 * One stream's projection read straight from the database, for tools and tests that run outside a
 * server (export, the admin CLI): the same fold the server uses. Null if there is no such stream.
 */
export async function loadStreamProjection(
  collections: { changes: Collection<ChangeRecord>; streams: Collection<StreamRecord> },
  slug: string,
  render: RenderPost,
): Promise<StreamProjection | null> {
  const stream = await collections.streams.findOne({ _id: slug });
  if (!stream) return null;
  const projection = new StreamProjection(stream, new ChangeLog(collections.changes), render);
  await projection.load();
  return projection;
}
