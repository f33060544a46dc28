/**
 * How long to wait before restarting the embedded database after it died: quick after a one-off
 * crash, slower while it keeps dying (a full disk, broken files), never giving up. A run that
 * stayed up for `stableMs` counts as healthy again, so the next crash starts from `firstMs`.
 */
export class RestartBackoff {
  private failures = 0;

  constructor(
    private readonly firstMs = 500,
    private readonly capMs = 30_000,
    private readonly stableMs = 60_000,
  ) {}

  /** The wait before the next attempt, given how long the run that just ended lasted. */
  next(ranForMs: number): number {
    if (ranForMs >= this.stableMs) this.failures = 0;
    const delay = Math.min(this.capMs, this.firstMs * 2 ** Math.min(this.failures, 30));
    this.failures++;
    return delay;
  }

  /** Attempts since the last stable run, counting the one `next` just scheduled. */
  get attempt(): number {
    return this.failures;
  }
}
