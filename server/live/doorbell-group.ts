import type { Doorbell } from './doorbell.ts';

// The doorbell of a LIVELOG_WORKERS group, shared over the cluster's IPC channel: the primary alone
// tails the database's doorbell (one MongoDoorbell for the group, so the database serves one poll
// rather than one per worker) and relays. A worker's ring goes to the primary, which rings the
// database for other machines and hands it to the group's other workers; a ring read from the
// database goes to every worker; and the primary tells its workers whether its doorbell vouches for
// every ring, so their catch-up stays a slow safety net only while it does. Rings only wake a
// catch-up: each worker still reads the changes from the log, which keeps them exactly once and in
// order.

/** A ring, either way: a worker appended (to the primary), or someone did (to a worker). */
export interface GroupRing {
  livelog: 'doorbell-ring';
  stream: string;
  seq: number;
}
/** The primary to a worker: whether the group's doorbell vouches that every ring arrives. */
export interface GroupHealth {
  livelog: 'doorbell-health';
  healthy: boolean;
}

// A slug is at most 64 characters (records.ts); anything longer is no ring of ours.
const MAX_STREAM = 64;

/** Workers are our own processes; the shape is still checked so a bug cannot reach a projection. */
export function isGroupRing(message: unknown): message is GroupRing {
  if (typeof message !== 'object' || message === null) return false;
  const m = message as Record<string, unknown>;
  return (
    m.livelog === 'doorbell-ring' &&
    typeof m.stream === 'string' &&
    m.stream.length > 0 &&
    m.stream.length <= MAX_STREAM &&
    Number.isSafeInteger(m.seq) &&
    (m.seq as number) > 0
  );
}

function isGroupHealth(message: unknown): message is GroupHealth {
  if (typeof message !== 'object' || message === null) return false;
  const m = message as Record<string, unknown>;
  return m.livelog === 'doorbell-health' && typeof m.healthy === 'boolean';
}

/** A worker's end of the channel to its primary (process.send and 'message' in a real worker). */
export interface PrimaryLink {
  send(message: GroupRing): void;
  onMessage(listener: (message: unknown) => void): void;
  offMessage(listener: (message: unknown) => void): void;
  /** The primary is gone: nothing vouches for rings any more. */
  onGone(listener: () => void): void;
}

/** A worker's doorbell: rings go to the primary, and the primary's relays come back. */
export class GroupDoorbell implements Doorbell {
  private listener: ((message: unknown) => void) | undefined;

  constructor(private readonly link: PrimaryLink) {}

  ring(stream: string, seq: number): void {
    this.link.send({ livelog: 'doorbell-ring', stream, seq });
  }

  // Unhealthy until the primary says otherwise (it does once this worker listens).
  start(onRing: (stream: string, seq: number) => void, onHealth?: (healthy: boolean) => void): void {
    const listener = (message: unknown) => {
      if (this.listener !== listener) return;
      if (isGroupRing(message)) onRing(message.stream, message.seq);
      else if (isGroupHealth(message)) onHealth?.(message.healthy);
    };
    this.listener = listener;
    this.link.onMessage(listener);
    this.link.onGone(() => {
      if (this.listener === listener) onHealth?.(false);
    });
  }

  async stop(): Promise<void> {
    if (this.listener) this.link.offMessage(this.listener);
    this.listener = undefined;
  }
}

/** This worker's doorbell, linked to its primary over the cluster's channel. */
export function workerDoorbell(): GroupDoorbell {
  return new GroupDoorbell({
    // A worker draining after its primary left may still append: its ring then goes nowhere, and
    // must not become an 'error' on the process.
    send: (message) => {
      if (process.connected) process.send?.(message);
    },
    onMessage: (listener) => process.on('message', listener),
    offMessage: (listener) => process.off('message', listener),
    onGone: (listener) => process.once('disconnect', listener),
  });
}

/**
 * The primary's end: sends to one worker, or to every connected worker but `except`. A worker with
 * too many messages in flight misses some (workers/outbox.ts); `onCaughtUp` tells when it has taken
 * everything sent since.
 */
export interface WorkerLinks {
  send(workerId: number, message: GroupRing | GroupHealth): void;
  broadcast(message: GroupRing | GroupHealth, except?: number): void;
  onCaughtUp(listener: (workerId: number) => void): void;
}

/** The primary's relay: one real doorbell for the group, its rings and health handed to every worker. */
export class GroupDoorbellRelay {
  private healthy = false;

  constructor(
    private readonly doorbell: Doorbell,
    private readonly workers: WorkerLinks,
  ) {}

  start(): void {
    // A worker that missed rings is told the doorbell failed and recovered: its catch-up runs the
    // fast rounds that follow a recovery, which find the changes whose rings it missed.
    this.workers.onCaughtUp((workerId) => {
      this.workers.send(workerId, { livelog: 'doorbell-health', healthy: false });
      this.workers.send(workerId, { livelog: 'doorbell-health', healthy: this.healthy });
    });
    this.doorbell.start(
      (stream, seq) => this.workers.broadcast({ livelog: 'doorbell-ring', stream, seq }),
      (healthy) => {
        this.healthy = healthy;
        this.workers.broadcast({ livelog: 'doorbell-health', healthy });
      },
    );
  }

  /** Handles a worker's message if it is a ring: other machines hear it through the database, the
   *  group's other workers at once from here (the sender never hears its own). */
  handle(workerId: number, message: unknown): boolean {
    if (!isGroupRing(message)) return false;
    this.doorbell.ring(message.stream, message.seq);
    this.workers.broadcast({ livelog: 'doorbell-ring', stream: message.stream, seq: message.seq }, workerId);
    return true;
  }

  /** A worker now listens (so its doorbell is started): it learns the health it missed. */
  workerServing(workerId: number): void {
    this.workers.send(workerId, { livelog: 'doorbell-health', healthy: this.healthy });
  }

  stop(): Promise<void> {
    return this.doorbell.stop();
  }
}
