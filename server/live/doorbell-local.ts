import type { Doorbell } from './doorbell.ts';

type OnRing = (stream: string, seq: number) => void;

/** The doorbells that hear each other: one per process, or one per app for a lone instance. */
export type DoorbellWire = Set<OnRing>;

/**
 * Doorbells within one process. A lone instance (the default) is on a wire of its own, so its rings
 * reach nobody, as there is nobody to tell; instances built in one process (tests, benchmarks)
 * share a wire and ring each other as they would through the database.
 */
export class LocalDoorbell implements Doorbell {
  private listener: OnRing | undefined;

  constructor(private readonly wire: DoorbellWire = new Set()) {}

  ring(stream: string, seq: number): void {
    for (const listener of this.wire) {
      // Later, not inside the append that rang: another instance's catch-up is none of its business.
      if (listener !== this.listener) queueMicrotask(() => listener(stream, seq));
    }
  }

  // Never vouches: a lone instance's wire hears nothing of the CLI or another process appending,
  // so its catch-up loop keeps its full pace.
  start(onRing: OnRing): void {
    this.listener = onRing;
    this.wire.add(onRing);
  }

  async stop(): Promise<void> {
    if (this.listener) this.wire.delete(this.listener);
    this.listener = undefined;
  }
}
