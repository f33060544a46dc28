export interface CatchUpPace {
  /** Between rounds while the doorbell cannot vouch for other instances' changes. */
  fastMs: number;
  /** Between rounds while it can: the catch-up loop is then only a safety net. */
  safetyMs: number;
}

/**
 * When the catch-up loop probes next. While the doorbell is healthy, every change another instance
 * stores is rung and caught up at once, so probing is only a safety net for a lost ring and runs
 * every `safetyMs`. It runs every `fastMs` while the doorbell is down or unproven (and always with a
 * doorbell that cannot hear other processes, as `LIVELOG_RELAY=local`), for a short while after it
 * recovers (rings sent while it was down are lost), and after a gap in the rings shows one was lost.
 * Pure: the caller passes the time.
 */
export class CatchUpSchedule {
  private doorbellHealthy = false;
  private fastUntil = 0;
  /** How long rounds stay fast after a recovery or a gap: a few rounds, at least a second. */
  private readonly fastSpellMs: number;

  constructor(private readonly pace: CatchUpPace) {
    this.fastSpellMs = Math.max(4 * pace.fastMs, 1000);
  }

  /** The doorbell's health, as it last reported it. */
  doorbell(healthy: boolean, now: number): void {
    if (healthy && !this.doorbellHealthy) this.fastUntil = Math.max(this.fastUntil, now + this.fastSpellMs);
    this.doorbellHealthy = healthy;
  }

  /** A ring arrived for a seq past the next one expected: the one between was lost. */
  gapSeen(now: number): void {
    this.fastUntil = Math.max(this.fastUntil, now + this.fastSpellMs);
  }

  /** How long from `now` until the next round. */
  delay(now: number): number {
    const fast = !this.doorbellHealthy || now < this.fastUntil;
    return fast ? this.pace.fastMs : Math.max(this.pace.safetyMs, this.pace.fastMs);
  }
}
