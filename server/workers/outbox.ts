// What the primary sends its workers (rings, doorbell health) waits in Node's queue for the IPC
// channel once the pipe to the worker is full: a worker that does not read (a long garbage
// collection, a busy loop) would let that queue grow without end. So each worker gets at most `limit` messages in flight; past it, messages
// to that worker are dropped, and once everything sent has gone down its pipe (its queue is empty again) the
// service that sends is told, so it can tell the worker what it missed in one message (the doorbell
// makes the worker's catch-up run fast rounds, which find the changes whose rings were dropped).

/** One worker's channel: `done` is called once the message is written to it (or failed). */
export interface WorkerChannel {
  id: number;
  send(message: object, done: () => void): void;
}

/** Messages in flight to one worker past which more are dropped: a ring is about 80 bytes. */
export const MAX_UNSENT_PER_WORKER = 1000;

export class WorkerOutbox {
  private readonly unsent = new Map<number, number>();
  /** Workers that had a message dropped and have not yet read everything sent since. */
  private readonly behind = new Set<number>();
  private readonly caughtUpListeners: ((workerId: number) => void)[] = [];

  constructor(private readonly limit = MAX_UNSENT_PER_WORKER) {}

  /** Sends unless the worker already has `limit` messages in flight: false then, and it is dropped. */
  send(worker: WorkerChannel, message: object): boolean {
    const inFlight = this.unsent.get(worker.id) ?? 0;
    if (inFlight >= this.limit) {
      this.behind.add(worker.id);
      return false;
    }
    this.unsent.set(worker.id, inFlight + 1);
    worker.send(message, () => this.written(worker.id));
    return true;
  }

  /** Told once a worker that had messages dropped has taken everything sent since. */
  onCaughtUp(listener: (workerId: number) => void): void {
    this.caughtUpListeners.push(listener);
  }

  /** The worker is gone: nothing of its own is kept. */
  forget(workerId: number): void {
    this.unsent.delete(workerId);
    this.behind.delete(workerId);
  }

  /** How many messages to this worker are in flight. */
  inFlight(workerId: number): number {
    return this.unsent.get(workerId) ?? 0;
  }

  private written(workerId: number): void {
    const left = (this.unsent.get(workerId) ?? 1) - 1;
    if (left > 0) {
      this.unsent.set(workerId, left);
      return;
    }
    this.unsent.delete(workerId);
    if (!this.behind.delete(workerId)) return;
    for (const listener of this.caughtUpListeners) listener(workerId);
  }
}
