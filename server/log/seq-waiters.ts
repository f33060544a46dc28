import type { StreamProjection } from './projection.ts';

/** `?at=` waiters per stream and in all; past either, a page renders at once without waiting. */
const MAX_WAITERS_PER_STREAM = 100;
const MAX_WAITERS = 1000;
/** How often a stream with `?at=` waiters is probed (one poller per stream, however many wait). */
const WAIT_POLL_MS = 50;

interface Waiter {
  seq: number;
  done(): void;
}

/**
 * Pages that wait until this process shows a seq: after a no-JavaScript post another instance
 * took, the author should see what they just published. Every page waiting on one stream shares
 * one poller, and the waits are bounded.
 */
export class SeqWaiters {
  private readonly waits = new Map<StreamProjection, Set<Waiter>>();
  private waiting = 0;

  /** Whether a page waits on this projection: it must stay in memory meanwhile. */
  isWaitedOn(projection: StreamProjection): boolean {
    return this.waits.has(projection);
  }

  /** Waits until the projection shows `seq` (or the timeout passes); returns its head then. */
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
}
