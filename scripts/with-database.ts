// Runs a command with MONGODB_URL pointing at a database: the one already set, or a throwaway
// embedded FerretDB (SQLite in a temporary folder, or PostgreSQL with LIVELOG_TEST_POSTGRESQL_URL)
// started for the command and removed after it. Used by the test scripts.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { startEmbeddedDatabase, type EmbeddedDatabase } from '../server/db/embedded.ts';

const [command, ...args] = process.argv.slice(2);
if (!command) {
  console.error('usage: tsx scripts/with-database.ts COMMAND [ARGS…]');
  process.exit(2);
}

const log = pino({ level: 'info', base: { app: 'with-database' } }, pino.destination(2));
let embedded: EmbeddedDatabase | undefined;
let dataDir: string | undefined;
const env = { ...process.env };
if (!env.MONGODB_URL) {
  dataDir = await mkdtemp(path.join(tmpdir(), 'livelog-test-'));
  try {
    embedded = await startEmbeddedDatabase({ dataDir, logger: log, postgresqlUrl: env.LIVELOG_TEST_POSTGRESQL_URL });
  } catch (error) {
    console.error(`with-database: ${(error as Error).message}`);
    process.exit(1);
  }
  env.MONGODB_URL = embedded.url;
}

const child = spawn(command, args, { stdio: 'inherit', env });
const forward = (signal: NodeJS.Signals) => child.kill(signal);
process.on('SIGINT', forward);
process.on('SIGTERM', forward);
const code: number = await new Promise((resolve) => child.on('exit', (c, s) => resolve(c ?? (s ? 1 : 0))));
await embedded?.stop();
if (dataDir) await rm(dataDir, { recursive: true, force: true });
process.exit(code);
