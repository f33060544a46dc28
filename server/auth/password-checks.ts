import { PasswordChecksBusy } from '../errors.ts';

/** Seconds a refused login is told to wait: the queue drains in about that. */
export const BUSY_RETRY_AFTER_S = 2;

/**
 * Runs password hashing and checks a few at a time, with a short queue, refusing the rest.
 * scrypt runs on libuv's shared thread pool (four threads by default), where file reads and DNS
 * lookups also wait: unbounded, a burst of logins starves every other request and each check
 * holds its own tens of MiB. Refusing quickly (503 with Retry-After) beats answering everyone late.
 */
export class PasswordChecks {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly concurrency = 2,
    private readonly queueLength = 16,
  ) {}

  /** Runs `check` when a slot is free; throws PasswordChecksBusy (503) when the queue is full. */
  async run<T>(check: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.queueLength) throw new PasswordChecksBusy(BUSY_RETRY_AFTER_S);
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    try {
      return await check();
    } finally {
      // The slot passes straight to the next in line, so `running` counts it throughout.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
