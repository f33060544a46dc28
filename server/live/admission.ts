import { readFileSync } from 'node:fs';
import { TooManyViewers, TooManyViewersFromAddress } from '../errors.ts';

/** Why a live connection was refused: a catalogue error (its HTTP status is the HTTP edge's business). */
export type Refusal = InstanceType<typeof TooManyViewers> | InstanceType<typeof TooManyViewersFromAddress>;

/** Room kept for the database, log files, uploads and ordinary page requests. */
const FILE_RESERVE = 1024;
const DEFAULT_MAX_VIEWERS = 15_000;

/**
 * The default process-wide viewer cap: 15,000, or fewer if the open-file limit would run out first
 * (every viewer holds a socket, and a process out of descriptors cannot even answer a refusal).
 */
export function defaultMaxViewers(limitsFile = '/proc/self/limits'): number {
  try {
    const match = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync(limitsFile, 'utf8'));
    if (!match || match[1] === 'unlimited') return DEFAULT_MAX_VIEWERS;
    return Math.max(100, Math.min(DEFAULT_MAX_VIEWERS, Number(match[1]) - FILE_RESERVE));
  } catch {
    return DEFAULT_MAX_VIEWERS; // not Linux: keep the default
  }
}

/**
 * Live connections (websocket and SSE together) per client address and in all. A viewer is
 * admitted before the upgrade and holds its place until the connection ends; the release is
 * idempotent, so whichever of the connection's endings comes first frees the place exactly once.
 */
export class ViewerAdmission {
  private readonly perAddress = new Map<string, number>();
  private total = 0;

  constructor(
    private readonly maxViewers: number,
    private readonly maxPerAddress: number,
    /** How long a refused client should wait; the page's script adds its own jittered backoff. */
    readonly retryAfterSeconds = 10,
  ) {}

  /** A release function for an admitted viewer, or why it is refused. */
  admit(address: string): (() => void) | Refusal {
    if (this.total >= this.maxViewers) {
      return new TooManyViewers();
    }
    const held = this.perAddress.get(address) ?? 0;
    if (held >= this.maxPerAddress) {
      return new TooManyViewersFromAddress();
    }
    this.perAddress.set(address, held + 1);
    this.total++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.total--;
      const left = (this.perAddress.get(address) ?? 1) - 1;
      if (left > 0) this.perAddress.set(address, left);
      else this.perAddress.delete(address);
    };
  }

  get viewers(): number {
    return this.total;
  }

  viewersFrom(address: string): number {
    return this.perAddress.get(address) ?? 0;
  }
}
