import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { loadConfig, type Config } from './config.ts';
import { openDatabase, type OpenedDatabase } from './db/open.ts';
import { buildApp } from './app.ts';
import type { Database } from './db/database.ts';
import { Users } from './auth/users.ts';
import { MongoChangeStore } from './log/mongo-store.ts';
import { Streams } from './log/streams.ts';

// Reads the configuration, opens the database (starting the embedded one when no MONGODB_URL is
// set), serves, and shuts everything down in order on SIGINT/SIGTERM.

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    console.error(`livelog: bad configuration: ${(error as Error).message}`);
    process.exit(2);
  }
  const logger = pino({ level: config.LOG_LEVEL, base: { app: 'livelog' } });
  // Requests' errors are answered by Fastify's error handler, one request at a time. A promise that
  // nobody awaited is a bug to log, not a reason to drop every viewer: the process stays up.
  if (process.env.LIVELOG_TEST_CHEAP_PASSWORDS === '1') {
    logger.warn('LIVELOG_TEST_CHEAP_PASSWORDS is set: new passwords are hashed at a test cost; never set it on a real server');
  }
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled promise rejection (a bug: please report it)'));
  // A thrown error nobody caught leaves the process in an unknown state: log it and exit, so the
  // supervisor (deploy/livelog.service) starts a clean one and viewers resume by seq.
  process.on('uncaughtException', (error) => {
    logger.fatal({ err: error }, 'uncaught exception: exiting');
    process.exit(1);
  });

  let opened: OpenedDatabase;
  try {
    opened = await openDatabase(config, logger);
  } catch (error) {
    // One clear line for the person starting it (no stack trace: nothing in it would help them).
    const reason = (error as Error).message;
    logger.fatal({ reason }, 'cannot open the database');
    console.error(`livelog: cannot open the database: ${reason}`);
    process.exit(1);
  }
  const welcome = await firstRun(opened.database);

  const app = await buildApp({ config, database: opened.database, logger });
  try {
    await app.listen({ port: config.PORT, host: config.HOST });
  } catch (error) {
    console.error(`livelog: cannot listen on ${config.HOST}:${config.PORT}: ${(error as Error).message}`);
    await opened.close();
    process.exit(1);
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  const url = `http://${config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST}:${port}/`;
  logger.info({ url, database: opened.describe }, 'livelog is serving');
  printBanner(url, welcome);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    // Before anything else: the same signal may reach FerretDB, and its exit is no crash to heal.
    opened.closing();
    const force = setTimeout(() => process.exit(1), 10_000).unref();
    await app.close().catch((err) => logger.error({ err }, 'closing the server failed'));
    await opened.close().catch((err) => logger.error({ err }, 'closing the database failed'));
    clearTimeout(force);
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

interface Welcome {
  adminPassword?: string;
  demoStream?: string;
}

/** On an empty database: an admin with a fresh random password and a stream to try things in. */
async function firstRun(database: Database): Promise<Welcome> {
  const welcome: Welcome = {};
  const users = new Users(database);
  if ((await users.count()) === 0) {
    const password = randomBytes(9).toString('base64url');
    try {
      await users.add('admin', password, true);
      welcome.adminPassword = password;
    } catch {
      // Another instance created it first.
    }
  }
  const streams = new Streams(new MongoChangeStore(database));
  if ((await streams.count()) === 0) {
    try {
      await streams.create('welcome', 'Welcome to Livelog', 'admin', 'A stream to try Livelog in.');
      welcome.demoStream = 'welcome';
    } catch {
      // Another instance created it first.
    }
  }
  return welcome;
}

function printBanner(url: string, welcome: Welcome): void {
  const lines = [`Livelog is running at ${url}`];
  if (welcome.adminPassword) {
    lines.push(`Log in as an author at ${url}login with name "admin" and password "${welcome.adminPassword}"`);
    lines.push('(shown once; change it with: npm run livelog -- user passwd admin --password NEW)');
  } else {
    lines.push(`Log in as an author at ${url}login (forgot the password? npm run livelog -- user passwd admin --password NEW)`);
  }
  if (welcome.demoStream) lines.push(`A first stream is ready: ${url}s/${welcome.demoStream}`);
  lines.push('More authors: npm run livelog -- user add NAME --password PW; streams: npm run livelog -- stream create SLUG --title "TITLE"');
  process.stderr.write(`\n  ${lines.join('\n  ')}\n\n`);
}

await main();
