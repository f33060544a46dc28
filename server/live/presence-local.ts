import { PRESENCE_ROUNDS_KEPT, type Presence } from './presence.ts';

interface Count {
  instance: string;
  stream: string;
  n: number;
  at: number;
}

/** Counts reported in one process, by `instance:stream`. */
export type PresenceBoard = Map<string, Count>;

/**
 * Viewer counts within one process. A lone instance (the default) has a board of its own, so the
 * totals are its own counts; instances built in one process (tests, benchmarks) share a board and
 * add up as they would through the database.
 */
export class LocalPresence implements Presence {
  constructor(
    private readonly instance: string,
    private readonly intervalMs: number,
    private readonly board: PresenceBoard = new Map(),
  ) {}

  async tally(local: ReadonlyMap<string, number>, streams: ReadonlySet<string>): Promise<Map<string, number>> {
    const now = Date.now();
    for (const stream of streams) {
      this.board.set(`${this.instance}:${stream}`, { instance: this.instance, stream, n: local.get(stream) ?? 0, at: now });
    }
    const fresh = now - PRESENCE_ROUNDS_KEPT * this.intervalMs;
    const totals = new Map<string, number>();
    for (const [key, count] of this.board) {
      if (count.at <= fresh) {
        this.board.delete(key); // the board holds only what the last few rounds reported
        continue;
      }
      if (!streams.has(count.stream)) continue;
      totals.set(count.stream, (totals.get(count.stream) ?? 0) + count.n);
    }
    return totals;
  }
}
