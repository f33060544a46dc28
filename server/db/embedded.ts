import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { ferretdbBinary } from './embedded/binary.ts';
import { makePrivate, socketPlace } from './embedded/data-folder.ts';
import { claimDataFolder, runningRecordFile, stopOrphan } from './embedded/running-record.ts';
import { Supervisor } from './embedded/supervisor.ts';

export { runningEmbeddedDatabase } from './embedded/running-record.ts';

// The embedded database: FerretDB v1 (MongoDB wire protocol) on SQLite files in LIVELOG_DATA, or
// on PostgreSQL for the production-like test run. Built once by scripts/build-ferretdb.sh and
// cached per user (embedded/binary.ts). It has no authentication, so it listens only on a Unix
// socket inside the private (0700) data folder (embedded/data-folder.ts): no other user of the
// machine can reach it or read its files. Livelog restarts it when it dies
// (embedded/supervisor.ts) and stops it with the process.

export interface EmbeddedDatabase {
  url: string;
  /** Where FerretDB listens: DATA/db.sock, or a private folder under the system's tmpdir. */
  socketPath: string;
  /**
   * Stop restarting FerretDB from now on. A clean shutdown calls this first: FerretDB may see the
   * same signal as Livelog and exit before stop() runs, and that is not a crash to heal.
   */
  holdRestarts(): void;
  /** Ends a FerretDB that runs but refuses queries; the supervisor starts a fresh one. */
  recycle(reason: string): void;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  dataDir: string;
  logger: Logger;
  /** FerretDB on PostgreSQL instead of SQLite: a `postgres://` URL of an existing database. */
  postgresqlUrl?: string;
}

export async function startEmbeddedDatabase(options: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const logger = options.logger.child({ component: 'ferretdb' });
  const binary = await ferretdbBinary(options.logger);
  const dataDir = path.resolve(options.dataDir);
  const sqliteDir = path.join(dataDir, 'ferretdb');
  const stateDir = path.join(dataDir, 'ferretdb-state');
  const recordFile = runningRecordFile(dataDir);
  await makePrivate(dataDir, [sqliteDir, stateDir, recordFile], logger);
  await mkdir(sqliteDir, { recursive: true, mode: 0o700 });
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const release = await claimDataFolder(dataDir);
  try {
    await stopOrphan(recordFile, logger);
  } catch (error) {
    await release();
    throw error;
  }
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
  const supervisor = new Supervisor({ binary, args, socketPath, url, recordFile }, logger);
  try {
    await supervisor.launch();
  } catch (error) {
    await supervisor.stop();
    if (socketDir) await rm(socketDir, { recursive: true, force: true });
    await release();
    throw error;
  }
  logger.info({ url, backend: options.postgresqlUrl ? 'postgresql' : 'sqlite', dataDir }, 'embedded database started');
  return {
    url,
    socketPath,
    holdRestarts: () => supervisor.holdRestarts(),
    recycle: (reason) => supervisor.recycle(reason),
    async stop() {
      await supervisor.stop();
      await rm(recordFile, { force: true });
      await rm(socketDir ?? socketPath, { recursive: true, force: true });
      await release();
    },
  };
}
