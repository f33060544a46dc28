import createError from '@fastify/error';

export const TooManyLogins = createError(
  'LIVELOG_TOO_MANY_LOGINS',
  'Too many failed log-ins for this name from your address; try again in %s seconds',
  429,
);

const FREE_FAILURES = 5;
const FIRST_LOCK_MS = 30_000;
const MAX_LOCK_MS = 15 * 60_000;
const FORGET_AFTER_MS = 60 * 60_000;
const MAX_ENTRIES = 100_000;

interface Entry {
  failures: number;
  lockedUntil: number;
  lastFailure: number;
}

/**
 * Slows password guessing per (address, name) pair: after a few failures, that pair waits, doubling
 * each time. Keyed by both, so someone guessing from elsewhere cannot lock an author out, and a
 * whole venue behind one address is not locked out by one guesser. Kept in this process's memory:
 * with several instances each counts its own share of the attempts.
 */
export class LoginThrottle {
  private readonly entries = new Map<string, Entry>();

  /** Throws 429 (with the seconds to wait) while this pair is locked. */
  check(address: string, name: string, now = Date.now()): void {
    const entry = this.entries.get(key(address, name));
    if (entry && entry.lockedUntil > now) throw new TooManyLogins(String(Math.ceil((entry.lockedUntil - now) / 1000)));
  }

  failed(address: string, name: string, now = Date.now()): void {
    const k = key(address, name);
    const entry = this.entries.get(k) ?? { failures: 0, lockedUntil: 0, lastFailure: now };
    if (now - entry.lastFailure > FORGET_AFTER_MS) entry.failures = 0;
    entry.failures++;
    entry.lastFailure = now;
    if (entry.failures >= FREE_FAILURES) {
      entry.lockedUntil = now + Math.min(MAX_LOCK_MS, FIRST_LOCK_MS * 2 ** (entry.failures - FREE_FAILURES));
    }
    this.entries.delete(k); // re-insert: the map stays ordered by last failure
    this.entries.set(k, entry);
    this.trim(now);
  }

  succeeded(address: string, name: string): void {
    this.entries.delete(key(address, name));
  }

  private trim(now: number): void {
    for (const [k, entry] of this.entries) {
      if (this.entries.size <= MAX_ENTRIES && now - entry.lastFailure < FORGET_AFTER_MS) break;
      this.entries.delete(k);
    }
  }
}

function key(address: string, name: string): string {
  return `${address}\u0000${name.toLowerCase()}`;
}
