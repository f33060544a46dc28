/**
 * What this process learnt of recently used API tokens, so that a script publishing every few
 * seconds costs one database round trip per post (the insert), not three (token, user, insert).
 *
 * The price is promptness across processes: a token revoked, or a user disabled or demoted, by
 * another process (another instance, a worker, the command line) still works here for up to
 * `trustMs`. In this process it stops at once: revoking and user changes call `forget`, and a
 * check that was reading the database meanwhile is not kept (its `ticket` is older than the forget).
 */
export class TokenCache<T> {
  private readonly entries = new Map<string, { value: T; userId: string; until: number }>();
  /** Moves on at every forget: a check that began before it may have read what was just changed. */
  private generation = 0;

  constructor(
    private readonly trustMs: number,
    /** Bounded: a flood of distinct valid tokens only evicts the oldest. */
    private readonly maxEntries = 1_000,
    private readonly now: () => number = Date.now,
  ) {}

  get(tokenId: string): T | undefined {
    const entry = this.entries.get(tokenId);
    if (!entry) return undefined;
    if (entry.until > this.now()) return entry.value;
    this.entries.delete(tokenId);
    return undefined;
  }

  /** Taken before reading the database; `set` with it keeps nothing if anything was forgotten since. */
  ticket(): number {
    return this.generation;
  }

  set(tokenId: string, userId: string, value: T, ticket = this.generation): void {
    if (this.trustMs <= 0 || ticket !== this.generation) return;
    this.entries.delete(tokenId); // re-inserted last: Map order is the eviction order
    this.entries.set(tokenId, { value, userId, until: this.now() + this.trustMs });
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
  }

  forgetToken(tokenId: string): void {
    this.generation++;
    this.entries.delete(tokenId);
  }

  forgetUser(userId: string): void {
    this.generation++;
    for (const [tokenId, entry] of this.entries) if (entry.userId === userId) this.entries.delete(tokenId);
  }
}
