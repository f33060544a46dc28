/** A refused attempt: what to tell the person, and when to come back. */
export interface LoginWait {
  message: string;
  retryAfterSeconds: number;
}

interface Policy {
  /** Failures before the first wait. */
  free: number;
  firstLockMs: number;
  maxLockMs: number;
  /** A pause this long without failures starts the count again. */
  forgetAfterMs: number;
  maxEntries: number;
}

// Per (address, name): a handful of guesses, then 30 s, doubling up to 15 minutes.
const PAIR: Policy = { free: 5, firstLockMs: 30_000, maxLockMs: 15 * 60_000, forgetAfterMs: 60 * 60_000, maxEntries: 100_000 };
// Per address, whatever the names: 30 failures without a 10-minute pause, then a minute, doubling.
// High enough that a venue sharing one address does not trip it by typos alone.
const ADDRESS: Policy = { free: 30, firstLockMs: 60_000, maxLockMs: 15 * 60_000, forgetAfterMs: 10 * 60_000, maxEntries: 50_000 };

interface Entry {
  failures: number;
  lockedUntil: number;
  lastFailure: number;
}

/** Failures per key, in a map ordered by last failure and trimmed from the oldest. */
class FailureCount {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly policy: Policy) {}

  /** Milliseconds this key must still wait, or 0. */
  wait(key: string, now: number): number {
    const entry = this.entries.get(key);
    return entry && entry.lockedUntil > now ? entry.lockedUntil - now : 0;
  }

  failed(key: string, now: number): void {
    const { free, firstLockMs, maxLockMs, forgetAfterMs } = this.policy;
    const entry = this.entries.get(key) ?? { failures: 0, lockedUntil: 0, lastFailure: now };
    if (now - entry.lastFailure > forgetAfterMs) entry.failures = 0;
    entry.failures++;
    entry.lastFailure = now;
    if (entry.failures >= free) entry.lockedUntil = now + Math.min(maxLockMs, firstLockMs * 2 ** Math.min(entry.failures - free, 20));
    this.entries.delete(key); // re-insert: the map stays ordered by last failure
    this.entries.set(key, entry);
    this.trim(now);
  }

  forget(key: string): void {
    this.entries.delete(key);
  }

  /** Failures counted against this key now (0 once forgotten). */
  failures(key: string, now: number): number {
    const entry = this.entries.get(key);
    return entry && now - entry.lastFailure <= this.policy.forgetAfterMs ? entry.failures : 0;
  }

  get free(): number {
    return this.policy.free;
  }

  get size(): number {
    return this.entries.size;
  }

  private trim(now: number): void {
    for (const [key, entry] of this.entries) {
      // Past the bound the oldest goes even while locked: an attacker can then buy an early end to
      // one lock only by failing maxEntries times from elsewhere, which the address count slows.
      if (this.entries.size <= this.policy.maxEntries && now - entry.lastFailure < Math.max(this.policy.forgetAfterMs, this.policy.maxLockMs)) break;
      this.entries.delete(key);
    }
  }
}

/**
 * Slows password guessing twice over, in this process's memory (a LIVELOG_WORKERS group keeps one,
 * in its primary: workers/shared-limits.ts; separate instances each count their own share):
 * - per (address, name): after a few failures that pair waits. Someone guessing from elsewhere
 *   cannot lock an author out, and one guesser does not lock out a whole venue.
 * - per address, across names: one address cannot try endless names. A venue behind one address
 *   could trip it, so a browser that has logged in as a name before (it carries a signed cookie
 *   saying so) is not held by the address count for that name, only by its own pair count.
 */
export class LoginThrottle {
  private readonly pairs = new FailureCount(PAIR);
  private readonly addresses = new FailureCount(ADDRESS);
  /** Checks under way, counted as failures until they end: a burst sent at once cannot get more
   *  guesses past the check than one sent a guess at a time. Bounded by the password checks'
   *  own queue (a few dozen at most). */
  private readonly pending = new Map<string, number>();

  /**
   * Why this attempt must wait, or null when it may go ahead. An attempt that may go ahead is under
   * way until `failed` or `succeeded` is called for it.
   */
  check(address: string, name: string, knownBrowser: boolean, now = Date.now()): LoginWait | null {
    const pair = pairKey(address, name);
    const pairWait = this.pairs.wait(pair, now);
    if (pairWait > 0) return wait('Too many failed log-ins for this name from your address', pairWait);
    const addressWait = knownBrowser ? 0 : this.addresses.wait(address, now);
    if (addressWait > 0) return wait('Too many failed log-ins from your address', addressWait);
    if (this.inFlight(pair) >= this.guessesLeft(this.pairs, pair, now)) return wait('Too many log-ins for this name from your address at once', IN_FLIGHT_WAIT_MS);
    if (!knownBrowser && this.inFlight(address) >= this.guessesLeft(this.addresses, address, now)) {
      return wait('Too many log-ins from your address at once', IN_FLIGHT_WAIT_MS);
    }
    this.begin(pair);
    this.begin(address);
    return null;
  }

  failed(address: string, name: string, now = Date.now()): void {
    this.end(address, name);
    this.pairs.failed(pairKey(address, name), now);
    this.addresses.failed(address, now);
  }

  /** Clears the pair only: one good password must not wipe the address's count of bad ones. */
  succeeded(address: string, name: string): void {
    this.end(address, name);
    this.pairs.forget(pairKey(address, name));
  }

  /** An attempt that ended without a verdict (the checks were too busy to run it). */
  abandoned(address: string, name: string): void {
    this.end(address, name);
  }

  /** Guesses that may be under way at once: what is left before the next lock, and one at a time
   *  after a lock has run out (each further failure locks again, for longer). */
  private guessesLeft(count: FailureCount, key: string, now: number): number {
    return Math.max(1, count.free - count.failures(key, now));
  }

  private inFlight(key: string): number {
    return this.pending.get(key) ?? 0;
  }

  private begin(key: string): void {
    this.pending.set(key, this.inFlight(key) + 1);
  }

  private end(address: string, name: string): void {
    for (const key of [pairKey(address, name), address]) {
      const left = this.inFlight(key) - 1;
      if (left > 0) this.pending.set(key, left);
      else this.pending.delete(key);
    }
  }

  get size(): { pairs: number; addresses: number } {
    return { pairs: this.pairs.size, addresses: this.addresses.size };
  }
}

/** How long to come back after a refusal for checks already under way: they take about a second. */
const IN_FLIGHT_WAIT_MS = 2000;

function wait(reason: string, ms: number): LoginWait {
  const retryAfterSeconds = Math.ceil(ms / 1000);
  return { message: `${reason}; try again in ${retryAfterSeconds} seconds.`, retryAfterSeconds };
}

function pairKey(address: string, name: string): string {
  return `${address}\u0000${name.toLowerCase()}`;
}
