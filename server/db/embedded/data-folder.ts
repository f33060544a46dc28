import type { Stats } from 'node:fs';
import { chmod, lstat, mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import { EmbeddedDatabaseError } from './error.ts';

// FerretDB has no authentication, so what keeps others out is the file system: its files and its
// Unix socket live in folders only Livelog's user can enter.

/** The kernel's `sun_path` holds 108 bytes on Linux and 104 on macOS; keep a margin. */
export const MAX_SOCKET_PATH_BYTES = 100;
const SOCKET_NAME = 'db.sock';
/** Prefix of the private folder that holds the socket when the data folder's path is too long. */
const SOCKET_DIR_PREFIX = 'livelog-db-';

/**
 * The data folder and what Livelog keeps in it are for Livelog's user alone: folders 0700, files
 * 0600. A folder made by an older version (or by hand) with looser modes is tightened, and said so.
 */
export async function makePrivate(dataDir: string, entries: string[], logger: Logger): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const tightened: string[] = [];
  const tighten = async (target: string): Promise<void> => {
    let stats: Stats;
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
export async function socketPlace(dataDir: string): Promise<{ socketPath: string; socketDir?: string }> {
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

/** Whether a socket folder is one socketPlace made in tmpdir, so removing it removes nothing else. */
export function isPrivateSocketDir(socketDir: string): boolean {
  return path.dirname(socketDir) === tmpdir() && path.basename(socketDir).startsWith(SOCKET_DIR_PREFIX);
}

/** Written whole and in one step, so a tool reading it never sees half a record. */
export async function writePrivateFile(file: string, content: string): Promise<void> {
  const partial = `${file}.${process.pid}.tmp`;
  await writeFile(partial, content, { mode: 0o600 });
  await rename(partial, file);
}
