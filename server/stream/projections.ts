import type { Collection } from 'mongodb';
import type { Logger } from 'pino';
import { ChangeLog } from './log.ts';
import { StreamProjection, type RenderPost } from './projection.ts';
import { DatabaseUnavailable, StreamNotFound } from './errors.ts';
import type { ChangeRecord, StreamRecord } from './types.ts';

export interface ProjectionsOptions {
  changes: Collection<ChangeRecord>;
  streams: Collection<StreamRecord>;
  render: RenderPost;
  logger: Logger;
  /** How often to probe every loaded stream for changes other processes appended. */
  catchUpMs: number;
  /** Told of every change this process appends (the relay rings other instances' doorbells). */
  onAppended?: (stream: string, seq: number) => void;
}

/**
 * The in-memory projections of this process, one per stream anyone asked for. A stream is loaded
 * once however many requests arrive together (a restart with thousands of reconnecting viewers
 * costs one scan), then kept current by its own appends and a catch-up loop.
 */
export class Projections {
  private readonly loaded = new Map<string, Promise<StreamProjection | null>>();
  private timer: NodeJS.Timeout | undefined;
  private catchingUp = false;

  constructor(private readonly options: ProjectionsOptions) {}

  /** The stream's projection, or null if there is no such stream. */
  get(slug: string): Promise<StreamProjection | null> {
    let pending = this.loaded.get(slug);
    if (!pending) {
      pending = this.load(slug);
      this.loaded.set(slug, pending);
      // A failed or negative load is not cached: the stream may be created, the database may return.
      pending.then(
        (p) => p ?? this.loaded.delete(slug),
        () => this.loaded.delete(slug),
      );
    }
    return pending;
  }

  /** The stream's projection; a missing stream is a 404 to whoever asked. */
  async require(slug: string): Promise<StreamProjection> {
    const projection = await this.get(slug);
    if (!projection) throw new StreamNotFound(slug);
    return projection;
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

  /** Waits until this process shows `seq` of a stream (or the timeout passes); returns the head. */
  async waitFor(projection: StreamProjection, seq: number, timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (projection.head < seq && Date.now() < deadline) {
      await projection.catchUp().catch(() => 0);
      if (projection.head >= seq) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    return projection.head;
  }

  /** Another instance says a stream has reached `seq`: catch up now rather than at the next probe. */
  nudge(slug: string, seq: number): void {
    void this.loaded.get(slug)?.then((projection) => {
      if (projection && projection.head < seq) return projection.catchUp();
    }).catch(() => {}); // the catch-up loop will try again
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
      for (const pending of this.loaded.values()) {
        const projection = await pending.catch(() => null);
        if (!projection) continue;
        const applied = await projection.catchUp().catch((error: unknown) => {
          this.options.logger.warn({ stream: projection.slug, err: error }, 'catch-up failed');
          return 0;
        });
        if (applied > 0) {
          this.options.logger.debug({ stream: projection.slug, applied }, 'caught up');
        }
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
