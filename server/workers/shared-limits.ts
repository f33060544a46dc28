import cluster from 'node:cluster';
import { createRequire } from 'node:module';
import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import { LoginThrottle, type LoginWait } from '../auth/login-throttle.ts';

// Per-user limits of a LIVELOG_WORKERS group, counted once for the whole group: the change budget
// (@fastify/rate-limit) and the login throttle live in the primary, and workers ask it over the
// cluster's IPC channel. Without this, N workers would grant N budgets and N times the guesses.
// In a single process nothing here is used: the limits count in the process as before.

/** The change budget's counts: @fastify/rate-limit's own in-memory store, bounded by its LRU. */
interface CountingStore {
  incr(key: string, callback: (error: Error | null, result: { current: number; ttl: number }) => void, timeWindow: number, max: number): void;
}
type LocalStoreCtor = new (continueExceeding: boolean, exponentialBackoff: boolean, cache?: number) => CountingStore;
const LocalStore = createRequire(import.meta.url)('@fastify/rate-limit/store/LocalStore.js') as LocalStoreCtor;
/** Users whose change count is kept: the plugin's own default for one process. */
const MAX_COUNTED_KEYS = 5000;

/** A worker's questions to its primary and the primary's answers; `livelog` keeps them apart from
 *  other users of the channel (prom-client's aggregation). */
type Question = { op: 'change'; key: string; timeWindow: number; max: number } | { op: 'login-check'; address: string; name: string; knownBrowser: boolean };
type Notice = { op: 'login-failed' | 'login-succeeded' | 'login-abandoned'; address: string; name: string };
export type LimitsRequest = { livelog: 'limits' } & ((Question & { id: number }) | Notice);
export interface LimitsAnswer {
  livelog: 'limits-answer';
  id: number;
  result: unknown;
}

/** The primary's side: one change count and one login throttle for every worker. */
export class GroupLimits {
  private readonly changes = new LocalStore(false, false, MAX_COUNTED_KEYS);
  private readonly throttle = new LoginThrottle();
  /** Login checks let through per worker and not yet ended: a worker that dies mid-check must not
   *  leave them counted as under way forever. Bounded by each worker's password-check queue. */
  private readonly underWay = new Map<number, Map<string, { address: string; name: string; count: number }>>();

  /** Handles a worker's message if it is one of ours; `answer` sends the reply back to that worker. */
  handle(workerId: number, message: unknown, answer: (reply: LimitsAnswer) => void): boolean {
    if (!isLimitsRequest(message)) return false;
    switch (message.op) {
      case 'change':
        this.changes.incr(message.key, (_error, result) => answer({ livelog: 'limits-answer', id: message.id, result }), message.timeWindow, message.max);
        break;
      case 'login-check': {
        const wait = this.throttle.check(message.address, message.name, message.knownBrowser);
        if (!wait) this.begin(workerId, message.address, message.name);
        answer({ livelog: 'limits-answer', id: message.id, result: wait });
        break;
      }
      case 'login-failed':
        if (this.end(workerId, message.address, message.name)) this.throttle.failed(message.address, message.name);
        break;
      case 'login-succeeded':
        if (this.end(workerId, message.address, message.name)) this.throttle.succeeded(message.address, message.name);
        break;
      case 'login-abandoned':
        if (this.end(workerId, message.address, message.name)) this.throttle.abandoned(message.address, message.name);
        break;
    }
    return true;
  }

  /** A worker is gone: the checks it had under way end without a verdict. */
  workerGone(workerId: number): void {
    for (const { address, name, count } of this.underWay.get(workerId)?.values() ?? []) {
      for (let i = 0; i < count; i++) this.throttle.abandoned(address, name);
    }
    this.underWay.delete(workerId);
  }

  private begin(workerId: number, address: string, name: string): void {
    const attempts = this.underWay.get(workerId) ?? new Map();
    this.underWay.set(workerId, attempts);
    const key = `${address}\u0000${name}`;
    const attempt = attempts.get(key) ?? { address, name, count: 0 };
    attempt.count++;
    attempts.set(key, attempt);
  }

  /** Whether this worker had such a check under way (a verdict for anything else is ignored). */
  private end(workerId: number, address: string, name: string): boolean {
    const attempts = this.underWay.get(workerId);
    const key = `${address}\u0000${name}`;
    const attempt = attempts?.get(key);
    if (!attempts || !attempt) return false;
    if (--attempt.count === 0) attempts.delete(key);
    if (attempts.size === 0) this.underWay.delete(workerId);
    return true;
  }
}

const MAX_TEXT = 300;
const text = (value: unknown): value is string => typeof value === 'string' && value.length <= MAX_TEXT;

/** Workers are our own processes; the shape is still checked so a bug cannot corrupt the counts. */
function isLimitsRequest(message: unknown): message is LimitsRequest {
  if (typeof message !== 'object' || message === null) return false;
  const m = message as Record<string, unknown>;
  if (m.livelog !== 'limits') return false;
  switch (m.op) {
    case 'change':
      return Number.isSafeInteger(m.id) && text(m.key) && Number.isSafeInteger(m.timeWindow) && Number.isSafeInteger(m.max);
    case 'login-check':
      return Number.isSafeInteger(m.id) && text(m.address) && text(m.name) && typeof m.knownBrowser === 'boolean';
    case 'login-failed':
    case 'login-succeeded':
    case 'login-abandoned':
      return text(m.address) && text(m.name);
    default:
      return false;
  }
}

/** The worker's end of the channel to its primary (process.send and 'message' in a real worker). */
export interface PrimaryChannel {
  send(message: LimitsRequest): void;
  onMessage(listener: (message: unknown) => void): void;
}

/** Questions in flight to the primary, each answered or given up on after `timeoutMs`. */
export class PrimaryQuestions {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (result: unknown) => void; timer: NodeJS.Timeout }>();

  constructor(
    private readonly channel: PrimaryChannel,
    private readonly timeoutMs = 2000,
    private readonly maxPending = 10_000,
  ) {
    channel.onMessage((message) => {
      const answer = message as Partial<LimitsAnswer> | null;
      if (answer?.livelog !== 'limits-answer' || typeof answer.id !== 'number') return;
      const waiting = this.pending.get(answer.id);
      if (!waiting) return;
      this.pending.delete(answer.id);
      clearTimeout(waiting.timer);
      waiting.resolve(answer.result);
    });
  }

  /** The primary's answer, or `unanswered` when it does not come in time (or too many wait already). */
  ask(question: Question): Promise<unknown> {
    if (this.pending.size >= this.maxPending) return Promise.resolve(unanswered);
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve(unanswered);
      }, this.timeoutMs);
      this.pending.set(id, { resolve, timer });
      this.channel.send({ ...question, id, livelog: 'limits' });
    });
  }

  tell(message: Notice): void {
    this.channel.send({ ...message, livelog: 'limits' });
  }
}

/** What an unanswered question resolves to: the primary is gone or stuck. */
export const unanswered = Symbol('unanswered');

/** What the login route needs from a throttle; see LoginThrottle for the rules. */
export interface LoginGate {
  check(address: string, name: string, knownBrowser: boolean): Promise<LoginWait | null>;
  failed(address: string, name: string): void;
  succeeded(address: string, name: string): void;
  abandoned(address: string, name: string): void;
}

/** How long a log-in waits when the primary did not answer: the group is restarting or stopping. */
const UNANSWERED_LOGIN_WAIT: LoginWait = { message: 'The server is busy; try again in 2 seconds.', retryAfterSeconds: 2 };

/** The group's throttle, asked over IPC. */
export function groupLoginGate(questions: PrimaryQuestions): LoginGate {
  return {
    async check(address, name, knownBrowser) {
      const wait = await questions.ask({ op: 'login-check', address, name, knownBrowser });
      if (wait !== unanswered) return wait as LoginWait | null;
      // A late answer would count an attempt under way that nobody ends: this notice follows the
      // question down the same ordered channel and ends it.
      questions.tell({ op: 'login-abandoned', address, name });
      return UNANSWERED_LOGIN_WAIT;
    },
    failed: (address, name) => questions.tell({ op: 'login-failed', address, name }),
    succeeded: (address, name) => questions.tell({ op: 'login-succeeded', address, name }),
    abandoned: (address, name) => questions.tell({ op: 'login-abandoned', address, name }),
  };
}

/**
 * A @fastify/rate-limit store counting in the primary. Should the primary not answer, this worker
 * counts by itself for that request: a budget per process for a moment, never an error page.
 */
export function groupRateLimitStore(questions: PrimaryQuestions): FastifyRateLimitStoreCtor {
  const fallback = new LocalStore(false, false, MAX_COUNTED_KEYS);
  return class GroupRateLimitStore implements FastifyRateLimitStore {
    private readonly timeWindow: number;
    private readonly max: number;

    // The plugin passes its options, with timeWindow in milliseconds; a route's own in `child`.
    constructor(options: object) {
      const { timeWindow, max } = options as { timeWindow?: unknown; max?: unknown };
      this.timeWindow = typeof timeWindow === 'number' ? timeWindow : 60_000;
      this.max = typeof max === 'number' ? max : 1000;
    }

    incr(key: string, callback: (error: Error | null, result?: { current: number; ttl: number }) => void, timeWindow = this.timeWindow, max = this.max): void {
      questions.ask({ op: 'change', key: key.slice(0, MAX_TEXT), timeWindow, max }).then((result) => {
        if (result === unanswered) fallback.incr(key, callback, timeWindow, max);
        else callback(null, result as { current: number; ttl: number });
      });
    }

    child(routeOptions: object): FastifyRateLimitStore {
      return new GroupRateLimitStore(routeOptions);
    }
  };
}

// One channel per worker process, made on first use.
let workerQuestions: PrimaryQuestions | undefined;
function questionsToPrimary(): PrimaryQuestions {
  workerQuestions ??= new PrimaryQuestions({
    send: (message) => process.send?.(message),
    onMessage: (listener) => process.on('message', listener),
  });
  return workerQuestions;
}

/** The change budget's store: the group's in a worker, the plugin's default (undefined) otherwise. */
export function changeBudgetStore(): FastifyRateLimitStoreCtor | undefined {
  return cluster.isWorker ? groupRateLimitStore(questionsToPrimary()) : undefined;
}

/** The login throttle: the group's in a worker, this process's own otherwise. */
export function loginGate(): LoginGate {
  if (cluster.isWorker) return groupLoginGate(questionsToPrimary());
  const throttle = new LoginThrottle();
  return {
    check: async (address, name, knownBrowser) => throttle.check(address, name, knownBrowser),
    failed: (address, name) => throttle.failed(address, name),
    succeeded: (address, name) => throttle.succeeded(address, name),
    abandoned: (address, name) => throttle.abandoned(address, name),
  };
}
