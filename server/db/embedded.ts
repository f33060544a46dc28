import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { chmod, lstat, mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MongoClient } from 'mongodb';
import type { Logger } from 'pino';
import { RestartBackoff } from './restart-backoff.ts';

// The embedded database: FerretDB v1 (MongoDB wire protocol) on SQLite files in LIVELOG_DATA, or
// on PostgreSQL for the production-like test run. Built once by scripts/build-ferretdb.sh and
// cached per user. It has no authentication, so it listens only on a Unix socket inside the
// private (0700) data folder: no other user of the machine can reach it or read its files.
// Livelog restarts it when it dies and stops it with the process.

const BUILD_SCRIPT = fileURLToPath(new URL('../../scripts/build-ferretdb.sh', import.meta.url));
const START_TIMEOUT_MS = 30_000;
/** The kernel's `sun_path` holds 108 bytes on Linux and 104 on macOS; keep a margin. */
export const MAX_SOCKET_PATH_BYTES = 100;
const SOCKET_NAME = 'db.sock';
/** Prefix of the private folder that holds the socket when the data folder's path is too long. */
const SOCKET_DIR_PREFIX = 'livelog-db-';

export interface EmbeddedDatabase {
  url: string;
  /** Where FerretDB listens: DATA/db.sock, or a private folder under the system's tmpdir. */
  socketPath: string;
  /**
   * Stop restarting FerretDB from now on. A clean shutdown calls this first: FerretDB may see the
   * same signal as Livelog and exit before stop() runs, and that is not a crash to heal.
   */
  holdRestarts(): void;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  dataDir: string;
  logger: Logger;
  /** FerretDB on PostgreSQL instead of SQLite: a `postgres://` URL of an existing database. */
  postgresqlUrl?: string;
}

/** What DATA/ferretdb.json records, so command-line tools reuse a running server's database. */
interface RunningRecord {
  url: string;
  socketPath: string;
  /** The Livelog process that owns the database. */
  pid: number;
  ferretdbPid: number;
}

export class EmbeddedDatabaseError extends Error {}

/** Builds FerretDB if it is not cached yet (progress goes to the log) and returns its path. */
async function ensureFerretdb(logger: Logger): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile('bash', [BUILD_SCRIPT], { maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
      if (error) {
        const last = stderr.trim().split('\n').slice(-3).map((l) => l.replace(/^\[ferretdb\] /, '')).join(' | ');
        reject(new EmbeddedDatabaseError(`could not build FerretDB: ${last || error.message}`));
      } else {
        resolve(stdout.trim().split('\n').pop()!);
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) {
        if (line.startsWith('[ferretdb]')) logger.info({ component: 'ferretdb-build' }, line.slice(11));
      }
    });
  });
}

export async function startEmbeddedDatabase(options: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const logger = options.logger.child({ component: 'ferretdb' });
  const binary = await ensureFerretdb(options.logger);
  const dataDir = path.resolve(options.dataDir);
  const sqliteDir = path.join(dataDir, 'ferretdb');
  const stateDir = path.join(dataDir, 'ferretdb-state');
  const recordFile = path.join(dataDir, 'ferretdb.json');
  await makePrivate(dataDir, [sqliteDir, stateDir, recordFile], logger);
  await mkdir(sqliteDir, { recursive: true, mode: 0o700 });
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  await stopOrphan(recordFile, logger);
  const { socketPath, socketDir } = await socketPlace(dataDir);
  const url = `mongodb://${encodeURIComponent(socketPath)}/`;
  const backend = options.postgresqlUrl
    ? ['--handler=postgresql', `--postgresql-url=${options.postgresqlUrl}`]
    : ['--handler=sqlite', `--sqlite-url=file:${sqliteDir}/`];
  const args = [
    ...backend,
    // An empty address turns the TCP listener off: the socket is the only way in.
    '--listen-addr=',
    `--listen-unix=${socketPath}`,
    `--state-dir=${stateDir}`,
    '--telemetry=disable',
    '--debug-addr=-',
    // At warn, FerretDB logs every failed command, such as the driver's endSessions on close.
    '--log-level=error',
    '--log-format=json',
  ];
  const supervisor = new Supervisor(binary, args, socketPath, url, recordFile, logger);
  try {
    await supervisor.launch();
  } catch (error) {
    await supervisor.stop();
    if (socketDir) await rm(socketDir, { recursive: true, force: true });
    throw error;
  }
  logger.info({ url, backend: options.postgresqlUrl ? 'postgresql' : 'sqlite', dataDir }, 'embedded database started');
  return {
    url,
    socketPath,
    holdRestarts: () => supervisor.holdRestarts(),
    async stop() {
      await supervisor.stop();
      await rm(recordFile, { force: true });
      await rm(socketDir ?? socketPath, { recursive: true, force: true });
    },
  };
}

/**
 * Runs FerretDB and brings it back when it dies, on the same files and socket, so the driver
 * reconnects by itself and nothing else has to learn a new address.
 */
class Supervisor {
  private child: ChildProcess | undefined;
  private launching: Promise<void> | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private held = false;
  private startedAt = 0;
  private readonly backoff = new RestartBackoff();
  // If this process dies of an error, do not leave FerretDB running on the data folder.
  private readonly killOnExit = () => this.child?.kill('SIGKILL');

  constructor(
    private readonly binary: string,
    private readonly args: string[],
    private readonly socketPath: string,
    private readonly url: string,
    private readonly recordFile: string,
    private readonly logger: Logger,
  ) {
    process.on('exit', this.killOnExit);
  }

  launch(): Promise<void> {
    this.launching = this.spawnAndWait().finally(() => (this.launching = undefined));
    return this.launching;
  }

  holdRestarts(): void {
    this.held = true;
    clearTimeout(this.restartTimer);
  }

  async stop(): Promise<void> {
    this.holdRestarts();
    await this.launching?.catch(() => {});
    if (this.child) await stopChild(this.child);
    process.off('exit', this.killOnExit);
  }

  private async spawnAndWait(): Promise<void> {
    // A socket file left by a FerretDB that was killed makes the next one fail with EADDRINUSE.
    await rm(this.socketPath, { force: true });
    // FerretDB creates its SQLite files with the mode it is given: umask 077 makes them 0600.
    // The shell only sets the umask and then becomes FerretDB (exec), so the pid is FerretDB's.
    const child = spawn('/bin/sh', ['-c', 'umask 077 && exec "$0" "$@"', this.binary, ...this.args], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.child = child;
    const stderrTail: string[] = [];
    child.stderr!.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        const message = ferretdbMessage(line);
        stderrTail.push(message);
        if (stderrTail.length > 5) stderrTail.shift();
        this.logger.error({ pid: child.pid }, message);
      }
    });
    try {
      await waitUntilAnswering(this.url, child, () => this.held);
    } catch (error) {
      child.kill('SIGKILL');
      const detail = stderrTail.join(' | ') || (error as Error).message;
      throw new EmbeddedDatabaseError(`FerretDB did not start: ${detail}`);
    }
    this.startedAt = Date.now();
    child.once('exit', (code, signal) => this.exited(child, code, signal));
    const record: RunningRecord = { url: this.url, socketPath: this.socketPath, pid: process.pid, ferretdbPid: child.pid! };
    await writePrivateFile(this.recordFile, JSON.stringify(record));
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

/**
 * The URL of an embedded database another Livelog process on the same data folder is running, if
 * any: command-line tools use it rather than open the same SQLite files from a second server.
 */
export async function runningEmbeddedDatabase(dataDir: string): Promise<string | null> {
  try {
    const { url, pid } = JSON.parse(await readFile(path.join(path.resolve(dataDir), 'ferretdb.json'), 'utf8')) as RunningRecord;
    return typeof url === 'string' && isAlive(pid) ? url : null;
  } catch {
    return null;
  }
}

/**
 * The data folder and what Livelog keeps in it are for Livelog's user alone: folders 0700, files
 * 0600. A folder made by an older version (or by hand) with looser modes is tightened, and said so.
 */
async function makePrivate(dataDir: string, entries: string[], logger: Logger): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const tightened: string[] = [];
  const tighten = async (target: string): Promise<void> => {
    let stats;
    try {
      stats = await lstat(target);
    } catch {
      return;
    }
    // Symbolic links are not followed: their own mode means nothing, and their target is not ours.
    if (stats.isSymbolicLink()) return;
    const wanted = stats.isDirectory() ? 0o700 : 0o600;
    if ((stats.mode & 0o777 & ~wanted) !== 0) {
      await chmod(target, wanted);
      tightened.push(target);
    }
    if (stats.isDirectory() && target !== dataDir) {
      for (const name of await readdir(target)) await tighten(path.join(target, name));
    }
  };
  await tighten(dataDir);
  for (const entry of entries) await tighten(entry);
  if (tightened.length > 0) {
    logger.warn({ dataDir, count: tightened.length, first: tightened.slice(0, 5) }, 'the data folder was readable by others; made it private (0700 folders, 0600 files)');
  }
}

/**
 * DATA/db.sock when that path fits the kernel's limit; otherwise a socket in a fresh 0700 folder
 * under the system's tmpdir (mkdtemp makes it 0700), as private as the data folder.
 */
async function socketPlace(dataDir: string): Promise<{ socketPath: string; socketDir?: string }> {
  const inData = path.join(dataDir, SOCKET_NAME);
  if (Buffer.byteLength(inData) <= MAX_SOCKET_PATH_BYTES) return { socketPath: inData };
  const socketDir = await mkdtemp(path.join(tmpdir(), SOCKET_DIR_PREFIX));
  const socketPath = path.join(socketDir, SOCKET_NAME);
  if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH_BYTES) {
    await rm(socketDir, { recursive: true, force: true });
    throw new EmbeddedDatabaseError(`no socket path short enough for FerretDB: both ${dataDir} and the temporary folder ${tmpdir()} are too deep (set TMPDIR)`);
  }
  return { socketPath, socketDir };
}

/** Written whole and in one step, so a tool reading it never sees half a record. */
async function writePrivateFile(file: string, content: string): Promise<void> {
  const partial = `${file}.${process.pid}.tmp`;
  await writeFile(partial, content, { mode: 0o600 });
  await rename(partial, file);
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

/** A FerretDB left running by a Livelog process that was killed would hold the same files. */
async function stopOrphan(recordFile: string, logger: Logger): Promise<void> {
  let previous: Partial<RunningRecord>;
  try {
    previous = JSON.parse(await readFile(recordFile, 'utf8'));
  } catch {
    return;
  }
  if (previous.pid && isAlive(previous.pid)) {
    throw new EmbeddedDatabaseError(
      `another Livelog process (pid ${previous.pid}) is serving this data folder; stop it or set MONGODB_URL`,
    );
  }
  if (previous.ferretdbPid && isAlive(previous.ferretdbPid)) {
    logger.warn({ pid: previous.ferretdbPid }, 'stopping a FerretDB left running by an earlier Livelog');
    process.kill(previous.ferretdbPid, 'SIGTERM');
    for (let i = 0; i < 50 && isAlive(previous.ferretdbPid); i++) await new Promise((r) => setTimeout(r, 100));
  }
  // Its private socket folder in tmpdir, if the data folder's path was too long for a socket.
  const socketDir = previous.socketPath && path.dirname(previous.socketPath);
  if (socketDir && path.dirname(socketDir) === tmpdir() && path.basename(socketDir).startsWith(SOCKET_DIR_PREFIX)) {
    await rm(socketDir, { recursive: true, force: true });
  }
}

/** Whether a process (a Livelog or its FerretDB) still runs; tests ask it too. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitUntilAnswering(url: string, child: ChildProcess, givenUp: () => boolean): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  let exited = false;
  child.once('exit', () => (exited = true));
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
