import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MongoClient } from 'mongodb';
import type { Logger } from 'pino';

// The embedded database: FerretDB v1 (MongoDB wire protocol) on SQLite files in LIVELOG_DATA, or
// on PostgreSQL for the production-like test run. Built once by scripts/build-ferretdb.sh and
// cached per user, started on a free loopback port, stopped with the process.

const BUILD_SCRIPT = fileURLToPath(new URL('../../scripts/build-ferretdb.sh', import.meta.url));
const START_TIMEOUT_MS = 30_000;

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  dataDir: string;
  logger: Logger;
  /** FerretDB on PostgreSQL instead of SQLite: a `postgres://` URL of an existing database. */
  postgresqlUrl?: string;
  /** A fixed port (tests restart a stopped database where clients expect it); default: a free one. */
  port?: number;
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
  const { logger } = options;
  const binary = await ensureFerretdb(logger);
  const dataDir = path.resolve(options.dataDir);
  const sqliteDir = path.join(dataDir, 'ferretdb');
  const stateDir = path.join(dataDir, 'ferretdb-state');
  await mkdir(sqliteDir, { recursive: true });
  await mkdir(stateDir, { recursive: true });
  const pidFile = path.join(dataDir, 'ferretdb.json');
  await stopOrphan(pidFile, logger);
  const port = options.port ?? (await freePort());
  const backend = options.postgresqlUrl
    ? ['--handler=postgresql', `--postgresql-url=${options.postgresqlUrl}`]
    : ['--handler=sqlite', `--sqlite-url=file:${sqliteDir}/`];
  const child = spawn(
    binary,
    [
      ...backend,
      `--listen-addr=127.0.0.1:${port}`,
      `--state-dir=${stateDir}`,
      '--telemetry=disable',
      '--debug-addr=-',
      // At warn, FerretDB logs every failed command, such as the driver's endSessions on close.
      '--log-level=error',
      '--log-format=json',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  // If this process dies of an error, do not leave FerretDB running on the data folder.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.off('exit', killOnExit));
  const stderrTail: string[] = [];
  child.stderr!.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n').filter(Boolean)) {
      const message = ferretdbMessage(line);
      stderrTail.push(message);
      if (stderrTail.length > 5) stderrTail.shift();
      logger.error({ component: 'ferretdb' }, message);
    }
  });
  const url = `mongodb://127.0.0.1:${port}/`;
  try {
    await waitUntilAnswering(url, child);
  } catch (error) {
    child.kill('SIGKILL');
    const detail = stderrTail.join(' | ') || (error as Error).message;
    throw new EmbeddedDatabaseError(`FerretDB did not start: ${detail}`);
  }
  await writeFile(pidFile, JSON.stringify({ url, pid: process.pid, ferretdbPid: child.pid }));
  logger.info({ component: 'ferretdb', url, backend: options.postgresqlUrl ? 'postgresql' : 'sqlite', dataDir }, 'embedded database started');
  return {
    url,
    async stop() {
      await rm(pidFile, { force: true });
      await stopChild(child);
    },
  };
}

/**
 * The URL of an embedded database another Livelog process on the same data folder is running, if
 * any: command-line tools use it rather than open the same SQLite files from a second server.
 */
export async function runningEmbeddedDatabase(dataDir: string): Promise<string | null> {
  try {
    const { url, pid } = JSON.parse(await readFile(path.join(path.resolve(dataDir), 'ferretdb.json'), 'utf8'));
    return typeof url === 'string' && isAlive(pid) ? url : null;
  } catch {
    return null;
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

/** A FerretDB left running by a Livelog process that was killed would hold the same files. */
async function stopOrphan(pidFile: string, logger: Logger): Promise<void> {
  let previous: { pid?: number; ferretdbPid?: number };
  try {
    previous = JSON.parse(await readFile(pidFile, 'utf8'));
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
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitUntilAnswering(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  let exited = false;
  child.once('exit', () => (exited = true));
  while (Date.now() < deadline) {
    if (exited) throw new Error('FerretDB exited during start');
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
