/**
 * How instances hear of each other's changes: after its insert, an instance rings `{stream, seq}`,
 * and every other instance catches that stream up now rather than at its next probe. Only a
 * latency cut: each instance's catch-up loop finds every change on its own, so a lost ring costs a
 * few hundred milliseconds, never data, and an instance advances only by what it reads from the log.
 * Implementations: doorbell-local.ts (in one process) and doorbell-mongo.ts (across instances).
 */
export interface Doorbell {
  /** This instance appended `seq` to `stream`. */
  ring(stream: string, seq: number): void;
  /**
   * Starts listening; `onRing` hears the other instances' rings, never this one's own. `onHealth`
   * hears whether the doorbell can vouch that every ring arrives (the catch-up loop then slows to a
   * safety net); until it says true, it cannot.
   */
  start(onRing: (stream: string, seq: number) => void, onHealth?: (healthy: boolean) => void): void;
  stop(): Promise<void>;
}
