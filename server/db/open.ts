import path from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import { connectDatabase, type Database } from './database.ts';
import { runningEmbeddedDatabase, startEmbeddedDatabase, type EmbeddedDatabase } from './embedded.ts';
import { DataFolderTaken } from './embedded/running-record.ts';
import { QueryWatchdog } from './embedded/query-watchdog.ts';

export interface OpenedDatabase {
  database: Database;
  /** Where to reach it: what the workers of a LIVELOG_WORKERS group connect to. */
  url: string;
  /** Which database this is, in words, for messages; never contains a password. */
  describe: string;
  /** A clean shutdown has begun: an embedded FerretDB exiting now is not restarted. */
  closing(): void;
  close(): Promise<void>;
}

/**
 * The database Livelog uses: MONGODB_URL if set; else the embedded FerretDB that another Livelog
 * process already runs on this data folder; else a new embedded FerretDB, stopped by close().
 */
export async function openDatabase(config: Config, logger: Logger): Promise<OpenedDatabase> {
  let url = config.MONGODB_URL;
  let describe: string;
  let embedded: EmbeddedDatabase | undefined;
  const dataDir = path.resolve(config.LIVELOG_DATA);
  if (url) {
    describe = `MONGODB_URL (${hostsOf(url)})`;
  } else {
    const running = await runningEmbeddedDatabase(dataDir);
    if (running) {
      url = running;
      describe = `the embedded FerretDB of the Livelog server running on ${dataDir}`;
    } else {
      try {
        embedded = await startEmbeddedDatabase({ dataDir, logger });
        url = embedded.url;
        describe = `an embedded FerretDB of its own on the files in ${dataDir}`;
      } catch (error) {
        // Another process is starting one on this folder right now: use it once it serves.
        if (!(error instanceof DataFolderTaken)) throw error;
        url = await startedElsewhere(dataDir, error);
        describe = `the embedded FerretDB of the Livelog process ${error.pid} on ${dataDir}`;
      }
    }
  }
  let database: Database;
  try {
    database = await connectDatabase(url, config.LIVELOG_DB);
  } catch (error) {
    await embedded?.stop();
    throw new Error(`cannot reach ${describe}: ${(error as Error).message}`, { cause: error });
  }
  const watchdog = embedded && watchQueries(database, embedded, logger);
  return {
    database,
    url,
    describe,
    closing: () => embedded?.holdRestarts(),
    async close() {
      watchdog?.stop();
      embedded?.holdRestarts();
      await database.close();
      await embedded?.stop();
    },
  };
}

/** A real query every 15 s on the FerretDB this process runs; three refusals in a row restart it. */
function watchQueries(database: Database, embedded: EmbeddedDatabase, logger: Logger): QueryWatchdog {
  const watchdog = new QueryWatchdog({
    probe: () => database.db.collection('streams').findOne({}, { projection: { _id: 1 }, maxTimeMS: 5000 }),
    recycle: (reason) => embedded.recycle(reason),
    logger: logger.child({ component: 'ferretdb' }),
  });
  watchdog.start();
  return watchdog;
}

/** How long to wait for another process's embedded database to start (a first build takes minutes, but that happens in set-up). */
const OTHER_START_WAIT_MS = 60_000;

async function startedElsewhere(dataDir: string, taken: DataFolderTaken): Promise<string> {
  const deadline = Date.now() + OTHER_START_WAIT_MS;
  while (Date.now() < deadline) {
    const running = await runningEmbeddedDatabase(dataDir);
    if (running) return running;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw taken;
}

/** The servers a MongoDB URL names, without the user name and password it may carry. */
function hostsOf(url: string): string {
  const match = /^mongodb(?:\+srv)?:\/\/(?:[^@/]*@)?([^/?]*)/.exec(url);
  return match?.[1] ? decodeURIComponent(match[1]) : 'unreadable URL';
}
