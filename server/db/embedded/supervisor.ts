import { type ChildProcess, spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { MongoClient } from 'mongodb';
import type { Logger } from 'pino';
import { EmbeddedDatabaseError } from './error.ts';
import { RestartBackoff } from './restart-backoff.ts';
import { writeRunningRecord } from './running-record.ts';

const START_TIMEOUT_MS = 30_000;

/** Where a supervised FerretDB runs: its binary and flags, where it listens, where it is recorded. */
export interface SupervisedFerretdb {
  binary: string;
  args: string[];
  socketPath: string;
  url: string;
  recordFile: string;
}

/**
 * Runs FerretDB and brings it back when it dies, on the same files and socket, so the driver
 * reconnects by itself and nothing else has to learn a new address.
 */
export class Supervisor {
  private child: ChildProcess | undefined;
  private launching: Promise<void> | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private held = false;
  private startedAt = 0;
  private readonly backoff = new RestartBackoff();
  // If this process dies of an error, do not leave FerretDB running on the data folder.
  private readonly killOnExit = () => this.child?.kill('SIGKILL');

  constructor(
    private readonly ferretdb: SupervisedFerretdb,
    private readonly logger: Logger,
  ) {
    process.on('exit', this.killOnExit);
  }

  launch(): Promise<void> {
    this.launching = this.spawnAndWait().finally(() => {
      this.launching = undefined;
    });
    return this.launching;
  }

  holdRestarts(): void {
    this.held = true;
    clearTimeout(this.restartTimer);
  }

  /** FerretDB runs but is no use (it refuses every query): end it, and the exit starts a fresh one. */
  recycle(reason: string): void {
    if (this.held || !this.child) return;
    this.logger.error({ pid: this.child.pid, reason }, 'embedded database refuses queries; restarting it');
    this.child.kill('SIGKILL');
  }

  async stop(): Promise<void> {
    this.holdRestarts();
    await this.launching?.catch(() => {});
    if (this.child) await stopChild(this.child);
    process.off('exit', this.killOnExit);
  }

  private async spawnAndWait(): Promise<void> {
    const { binary, args, socketPath, url, recordFile } = this.ferretdb;
    // A socket file left by a FerretDB that was killed makes the next one fail with EADDRINUSE.
    await rm(socketPath, { force: true });
    // FerretDB creates its SQLite files with the mode it is given: umask 077 makes them 0600.
    // The shell only sets the umask and then becomes FerretDB (exec), so the pid is FerretDB's.
    const child = spawn('/bin/sh', ['-c', 'umask 077 && exec "$0" "$@"', binary, ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.child = child;
    const stderrTail: string[] = [];
    child.stderr?.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        const message = ferretdbMessage(line);
        stderrTail.push(message);
        if (stderrTail.length > 5) stderrTail.shift();
        this.logger.error({ pid: child.pid }, message);
      }
    });
    try {
      await waitUntilAnswering(url, child, () => this.held);
    } catch (error) {
      child.kill('SIGKILL');
      const detail = stderrTail.join(' | ') || (error as Error).message;
      throw new EmbeddedDatabaseError(`FerretDB did not start: ${detail}`);
    }
    // A child that answers was spawned, so it has a pid; the check only narrows the type.
    const ferretdbPid = child.pid;
    if (ferretdbPid === undefined) throw new EmbeddedDatabaseError('FerretDB started without a process id');
    this.startedAt = Date.now();
    child.once('exit', (code, signal) => this.exited(child, code, signal));
    await writeRunningRecord(recordFile, { url, socketPath, pid: process.pid, ferretdbPid });
  }

  private exited(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.held || child !== this.child) return;
    this.logger.error({ pid: child.pid, code, signal, ranForMs: Date.now() - this.startedAt }, 'embedded database exited; restarting it');
    this.scheduleRestart(Date.now() - this.startedAt);
  }

  private scheduleRestart(ranForMs: number): void {
    const delayMs = this.backoff.next(ranForMs);
    const attempt = this.backoff.attempt;
    this.logger.warn({ attempt, delayMs }, 'restarting the embedded database');
    this.restartTimer = setTimeout(() => {
      this.launch().then(
        () => this.logger.info({ attempt, pid: this.child?.pid }, 'embedded database restarted'),
        (error: Error) => {
          if (this.held) return;
          this.logger.error({ attempt, reason: error.message }, 'restarting the embedded database failed');
          this.scheduleRestart(0);
        },
      );
    }, delayMs);
  }
}

/** FerretDB logs JSON lines; keep the message (and error) so they read well inside our own log. */
function ferretdbMessage(line: string): string {
  try {
    const entry = JSON.parse(line) as { msg?: string; error?: string };
    return [entry.msg, entry.error].filter(Boolean).join(': ') || line;
  } catch {
    return line;
  }
}

async function waitUntilAnswering(url: string, child: ChildProcess, givenUp: () => boolean): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  while (Date.now() < deadline) {
    if (exited) throw new Error('FerretDB exited during start');
    if (givenUp()) throw new Error('stopped during start');
    const client = new MongoClient(url, { serverSelectionTimeoutMS: 500, connectTimeoutMS: 500 });
    try {
      await client.db('admin').command({ ping: 1 });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    } finally {
      await client.close().catch(() => {});
    }
  }
  throw new Error(`no answer within ${START_TIMEOUT_MS / 1000} s`);
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
