import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import { RestartBackoff } from '../db/embedded/restart-backoff.ts';
import { GroupLimits } from './shared-limits.ts';
import { WorkerOutbox } from './outbox.ts';

// The primary of a LIVELOG_WORKERS group: it holds the database (started once, here), forks the
// workers that serve the port, replaces one that dies, counts the group's per-user limits, runs the
// services it keeps for them all (the doorbell and viewer counts: main.ts), and on
// SIGTERM/SIGINT drains every worker before it stops the database. It serves no HTTP itself.

/** What the primary tells a worker: drain and exit (the same as a SIGTERM to a single process). */
export const SHUTDOWN_MESSAGE = { livelog: 'shutdown' } as const;

/** Which database the primary opened, for its workers' logs: theirs comes to them as MONGODB_URL. */
export const PRIMARY_DATABASE_ENV = 'LIVELOG_PRIMARY_DATABASE';

/** Bound on a whole drain: past it, the workers still running are killed. */
const DRAIN_TIMEOUT_MS = 12_000;

export interface GroupOptions {
  count: number;
  logger: Logger;
  /** Added to each worker's environment. */
  workerEnv: NodeJS.ProcessEnv;
  /** What the primary keeps for its workers besides the limits, stopped once they are all gone. */
  services: GroupService[];
}

/**
 * A service the primary keeps for its workers (live/doorbell-group.ts, live/presence-group.ts):
 * it takes the workers' messages that are its own, and may reach them through `workerMessages`.
 */
export interface GroupService {
  handle(workerId: number, message: unknown, answer: (reply: object) => void): boolean;
  /** The worker listens, so it has started everything it has. */
  workerServing?(workerId: number): void;
  workerGone?(workerId: number): void;
  stop(): void | Promise<void>;
}

const connected = () => Object.values(cluster.workers ?? {}).filter((worker): worker is Worker => worker?.isConnected() === true);
const outbox = new WorkerOutbox();
const channel = (worker: Worker) => ({ id: worker.id, send: (message: object, done: () => void) => worker.send(message, done) });

/**
 * The primary's way to the workers for its services: one of them, or all but one, each bounded
 * (workers/outbox.ts): a message to a worker with too many in flight is dropped, and the service
 * hears when that worker has caught up.
 */
export const workerMessages = {
  send(workerId: number, message: object): void {
    const worker = connected().find((w) => w.id === workerId);
    if (worker) outbox.send(channel(worker), message);
  },
  broadcast(message: object, except?: number): void {
    for (const worker of connected()) if (worker.id !== except) outbox.send(channel(worker), message);
  },
  onCaughtUp(listener: (workerId: number) => void): void {
    outbox.onCaughtUp(listener);
  },
};

export interface Group {
  /** Where the workers listen, once every one does; rejected if one exits before that. */
  ready: Promise<{ address: string; port: number }>;
  /** Drains every worker; resolves once all have exited (or were killed after the drain timeout). */
  drain(): Promise<void>;
}

interface Slot {
  worker?: Worker;
  /** Its worker listens, so it has its handlers: it drains on our word. */
  serving: boolean;
  startedAt: number;
  backoff: RestartBackoff;
  restart?: NodeJS.Timeout;
}

/** Forks the workers; `ready` tells when they all listen. */
export function startGroup({ count, logger, workerEnv, services }: GroupOptions): Group {
  const limits = new GroupLimits();
  const slots: Slot[] = Array.from({ length: count }, (): Slot => ({ serving: false, startedAt: 0, backoff: new RestartBackoff() }));
  let started = false;
  let stopping = false;

  cluster.on('message', (worker, message) => {
    const answer = (reply: object) => {
      if (worker.isConnected()) worker.send(reply);
    };
    if (!limits.handle(worker.id, message, answer)) services.some((service) => service.handle(worker.id, message, answer));
  });

  const fork = (slot: Slot) => {
    slot.restart = undefined;
    slot.startedAt = Date.now();
    const worker = cluster.fork(workerEnv);
    slot.worker = worker;
    slot.serving = false;
    worker.once('listening', () => {
      slot.serving = slot.worker === worker;
      for (const service of services) service.workerServing?.(worker.id);
    });
    // A send to a worker that just died fails here rather than crashing the primary.
    worker.on('error', (err) => logger.warn({ err, worker: worker.id }, 'message to a worker failed'));
    if (started) worker.once('listening', () => logger.info({ worker: worker.id, pid: worker.process.pid }, 'replacement worker is serving'));
    worker.once('exit', (code, signal) => {
      limits.workerGone(worker.id);
      outbox.forget(worker.id);
      for (const service of services) service.workerGone?.(worker.id);
      if (slot.worker === worker) slot.worker = undefined;
      if (stopping || !started) return;
      const restartInMs = slot.backoff.next(Date.now() - slot.startedAt);
      // An unexpected exit: its viewers reconnect to the other workers and resume by seq.
      logger.error({ worker: worker.id, pid: worker.process.pid, code, signal, restartInMs, attempt: slot.backoff.attempt }, 'worker exited; starting another');
      slot.restart = setTimeout(() => fork(slot), restartInMs);
    });
  };

  const drain = async () => {
    stopping = true;
    const running: Worker[] = [];
    const exited: Promise<unknown>[] = [];
    for (const slot of slots) {
      clearTimeout(slot.restart);
      const worker = slot.worker;
      if (!worker || worker.isDead()) continue;
      running.push(worker);
      exited.push(new Promise((resolve) => worker.once('exit', resolve)));
      // One still starting may not hear a message yet: a signal ends it (it serves nobody).
      if (slot.serving && worker.isConnected()) worker.send(SHUTDOWN_MESSAGE);
      else worker.process.kill('SIGTERM');
    }
    const force = setTimeout(() => {
      logger.error({ workers: running.filter((w) => !w.isDead()).map((w) => w.id) }, 'workers did not drain in time: killing them');
      for (const worker of running) if (!worker.isDead()) worker.process.kill('SIGKILL');
    }, DRAIN_TIMEOUT_MS);
    await Promise.all(exited);
    clearTimeout(force);
    await Promise.all(services.map((service) => service.stop()));
  };

  const ready = new Promise<{ address: string; port: number }>((resolve, reject) => {
    let listening = 0;
    const onListening = (_worker: Worker, address: { address: string; port: number }) => {
      if (++listening < count) return;
      started = true;
      cluster.off('listening', onListening);
      cluster.off('exit', onEarlyExit);
      resolve(address);
    };
    // A worker that cannot start (port taken, database unreachable) would fail the same way again:
    // the group does not start, rather than loop. It has said why on stderr.
    const onEarlyExit = (worker: Worker, code: number | null, signal: string | null) => {
      cluster.off('listening', onListening);
      cluster.off('exit', onEarlyExit);
      reject(new Error(`worker ${worker.id} exited with ${signal ?? code} while starting`));
    };
    cluster.on('listening', onListening);
    cluster.on('exit', onEarlyExit);
  });
  for (const slot of slots) fork(slot);
  return { ready, drain };
}
