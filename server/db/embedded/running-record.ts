import { open, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { isPrivateSocketDir, writePrivateFile } from './data-folder.ts';
import { EmbeddedDatabaseError } from './error.ts';

// DATA/ferretdb.json says which Livelog process runs the embedded database on a data folder and
// where it listens: command-line tools reuse that database instead of opening the same SQLite
// files a second time, and a new server clears what a killed one left behind.

export interface RunningRecord {
  url: string;
  socketPath: string;
  /** The Livelog process that owns the database. */
  pid: number;
  ferretdbPid: number;
}

export const runningRecordFile = (dataDir: string): string => path.join(dataDir, 'ferretdb.json');
const claimFile = (dataDir: string): string => path.join(dataDir, 'ferretdb.lock');

/** Another Livelog process is starting or serving the embedded database on this data folder. */
export class DataFolderTaken extends EmbeddedDatabaseError {
  constructor(readonly pid: number) {
    super(`another Livelog process (pid ${pid}) is starting or serving the embedded database on this data folder; stop it or set MONGODB_URL`);
  }
}

/**
 * Claims the data folder before its FerretDB starts, atomically (O_EXCL): two processes starting at
 * once (a server and a command-line tool, say) would otherwise each start a FerretDB on the same
 * SQLite files, and one of them would serve stale reads. A claim whose process is gone is taken over.
 * Returns the release.
 */
export async function claimDataFolder(dataDir: string): Promise<() => Promise<void>> {
  const file = claimFile(dataDir);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(file, 'wx', 0o600);
      await handle.writeFile(String(process.pid));
      await handle.close();
      return () => rm(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = Number.parseInt(await readFile(file, 'utf8').catch(() => ''), 10);
    if (holder > 0 && isAlive(holder)) throw new DataFolderTaken(holder);
    await rm(file, { force: true }); // left by a process that is gone (or half-written: retry)
  }
  throw new EmbeddedDatabaseError(`cannot claim ${file}; remove it if no Livelog runs on this folder`);
}

export async function writeRunningRecord(file: string, record: RunningRecord): Promise<void> {
  await writePrivateFile(file, JSON.stringify(record));
}

/**
 * The URL of an embedded database another Livelog process on the same data folder is running, if
 * any: command-line tools use it rather than open the same SQLite files from a second server.
 */
export async function runningEmbeddedDatabase(dataDir: string): Promise<string | null> {
  try {
    const { url, pid } = JSON.parse(await readFile(runningRecordFile(path.resolve(dataDir)), 'utf8')) as RunningRecord;
    return typeof url === 'string' && isAlive(pid) ? url : null;
  } catch {
    return null;
  }
}

/** A FerretDB left running by a Livelog process that was killed would hold the same files. */
export async function stopOrphan(recordFile: string, logger: Logger): Promise<void> {
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
  if (socketDir && isPrivateSocketDir(socketDir)) await rm(socketDir, { recursive: true, force: true });
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
