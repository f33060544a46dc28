// Runs a command with MONGODB_URL pointing at a database: the one already set, or a throwaway
// embedded FerretDB started for the command and removed after it. Used by the test scripts.
//   tsx scripts/with-database.ts COMMAND…               FerretDB on SQLite in a temporary folder
//   tsx scripts/with-database.ts --postgresql COMMAND…  FerretDB on PostgreSQL (LIVELOG_TEST_POSTGRESQL_URL,
//                                                      default postgres://postgres@127.0.0.1:5432/test)
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { startEmbeddedDatabase, type EmbeddedDatabase } from '../server/db/embedded.ts';

const argv = process.argv.slice(2);
const onPostgresql = argv[0] === '--postgresql';
const [command, ...args] = onPostgresql ? argv.slice(1) : argv;
if (!command) {
  console.error('usage: tsx scripts/with-database.ts COMMAND [ARGS…]');
  process.exit(2);
}

const log = pino({ level: 'info', base: { app: 'with-database' } }, pino.destination(2));
let embedded: EmbeddedDatabase | undefined;
let dataDir: string | undefined;
const env = { ...process.env };
// Every command run here is a test run: new passwords are hashed at a tiny cost (see
// server/auth/passwords.ts), which saves minutes of CPU; test/unit/password-hashes.test.ts pins the
// production cost.
env.LIVELOG_TEST_CHEAP_PASSWORDS ??= '1';
let postgresqlUrl: string | undefined;
if (onPostgresql) {
  postgresqlUrl = env.LIVELOG_TEST_POSTGRESQL_URL || 'postgres://postgres@127.0.0.1:5432/test';
  const { hostname, port } = new URL(postgresqlUrl);
  if (!(await reachable(hostname, Number(port || 5432)))) {
    // A newcomer without PostgreSQL can still run the suite; CI must not skip it silently.
    console.error(`with-database: no PostgreSQL at ${hostname}:${port || 5432}`);
    process.exit(env.CI ? 1 : 0);
  }
  delete env.MONGODB_URL;
}

if (!env.MONGODB_URL) {
  dataDir = await mkdtemp(path.join(tmpdir(), 'livelog-test-'));
  try {
    embedded = await startEmbeddedDatabase({ dataDir, logger: log, postgresqlUrl });
  } catch (error) {
    console.error(`with-database: ${(error as Error).message}`);
    process.exit(1);
  }
  env.MONGODB_URL = embedded.url;
}

const child = spawn(command, args, { stdio: 'inherit', env });
const forward = (signal: NodeJS.Signals) => {
  // A Ctrl-C reaches FerretDB too: its exit now is the end of the run, not a crash to heal.
  embedded?.holdRestarts();
  child.kill(signal);
};
process.on('SIGINT', forward);
process.on('SIGTERM', forward);
const code: number = await new Promise((resolve) => child.on('exit', (c, s) => resolve(c ?? (s ? 1 : 0))));
await embedded?.stop();
if (dataDir) await rm(dataDir, { recursive: true, force: true });
process.exit(code);

function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 2000 });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}
