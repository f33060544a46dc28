/**
 * How instances hear of each other's changes. Only a latency cut: every instance's catch-up loop
 * finds every change on its own, so a lost doorbell costs a few hundred milliseconds, never data.
 */
export interface Relay {
  /** This instance appended `seq` to `stream`. */
  announce(stream: string, seq: number): void;
  /** Starts listening; `onDoorbell` is called for other instances' changes. */
  start(onDoorbell: (stream: string, seq: number) => void): void;
  stop(): Promise<void>;
}

/** One instance (the default): nobody to tell. */
export const localRelay: Relay = {
  announce: () => {},
  start: () => {},
  stop: async () => {},
};
