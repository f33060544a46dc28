import type { Logger } from 'pino';

/**
 * A relay's health as its listener hears it: told only when it changes, judged on every event the
 * relay sees and by a clock besides, since a relay that hangs reports nothing by itself.
 */
export class DoorbellHealth {
  private healthy = false;
  private onHealth: (healthy: boolean) => void = () => {};
  private clock: NodeJS.Timeout | undefined;

  constructor(
    /** Whether the relay vouches for every ring now. */
    private readonly judge: () => boolean,
    private readonly logger: Logger,
    private readonly what: string,
  ) {}

  /** Starts the clock: a stale relay is noticed within a quarter of `staleMs` (500 ms at most). */
  start(staleMs: number, onHealth?: (healthy: boolean) => void): void {
    if (onHealth) this.onHealth = onHealth;
    this.clock = setInterval(() => this.check(), Math.min(staleMs / 4, 500));
    this.clock.unref();
  }

  stop(): void {
    clearInterval(this.clock);
  }

  check(): void {
    const healthy = this.judge();
    if (healthy === this.healthy) return;
    this.healthy = healthy;
    this.logger.debug({ healthy }, `${this.what} health changed`);
    this.onHealth(healthy);
  }
}
