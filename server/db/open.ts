import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import { connectDatabase, type Database } from './database.ts';
import { runningEmbeddedDatabase, startEmbeddedDatabase, type EmbeddedDatabase } from './embedded.ts';

export interface OpenedDatabase {
  database: Database;
  /** Where it is, for messages; never contains a password (embedded URLs have none). */
  describe: string;
  close(): Promise<void>;
}

/**
 * The database Livelog uses: MONGODB_URL if set; else the embedded FerretDB that another Livelog
 * process already runs on this data folder; else a new embedded FerretDB, stopped by close().
 */
export async function openDatabase(config: Config, logger: Logger): Promise<OpenedDatabase> {
  let url = config.MONGODB_URL;
  let describe = 'MONGODB_URL';
  let embedded: EmbeddedDatabase | undefined;
  if (!url) {
    const running = await runningEmbeddedDatabase(config.LIVELOG_DATA);
    if (running) {
      url = running;
      describe = `the embedded FerretDB another Livelog process runs (${running})`;
    } else {
      embedded = await startEmbeddedDatabase({ dataDir: config.LIVELOG_DATA, logger });
      url = embedded.url;
      describe = `embedded FerretDB (SQLite files in ${config.LIVELOG_DATA})`;
    }
  }
  let database: Database;
  try {
    database = await connectDatabase(url, config.LIVELOG_DB);
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
  return {
    database,
    describe,
    async close() {
      await database.close();
      await embedded?.stop();
    },
  };
}
