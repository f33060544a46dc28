import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { startEmbeddedDatabase, type EmbeddedDatabase } from '../server/db/embedded.ts';
import { startServerProcess } from '../test/fixtures/server-process.ts';

// Servers and databases a test starts, stops and restarts itself (the shared web server of
// playwright.config.ts must stay up for the other tests).

export interface LivelogProcess {
  url: string;
  stop(): Promise<void>;
}

export async function startLivelog(port: number, env: Record<string, string>): Promise<LivelogProcess> {
  const server = await startServerProcess({
    // No event-loop shedding (as for the shared server): on a busy machine a start-up spell made it
    // answer 503 to the test's first requests. Shedding has tests of its own (test/pressure.test.ts).
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      LIVELOG_CATCHUP_MS: '100',
      LIVELOG_CHANGES_PER_MINUTE: '100000',
      LIVELOG_MAX_EVENT_LOOP_DELAY_MS: '0',
      ...env,
    },
    startTimeoutMs: 30_000,
  });
  return {
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      await server.stop();
    },
  };
}

/** A FerretDB of the test's own; started again on the same data folder, it is on the same socket. */
export async function ownDatabase(): Promise<{ url: string; stop(): Promise<void>; start(): Promise<void> }> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'livelog-e2e-db-'));
  const logger = pino({ level: 'silent' });
  let db: EmbeddedDatabase = await startEmbeddedDatabase({ dataDir, logger });
  return {
    url: db.url,
    stop: () => db.stop(),
    start: async () => {
      db = await startEmbeddedDatabase({ dataDir, logger });
    },
  };
}
