import cluster from 'node:cluster';
import { randomBytes, randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import type { FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import { loadConfig, type Config } from './config.ts';
import { openDatabase, type OpenedDatabase } from './db/open.ts';
import { type AppOptions, buildApp, sharedDoorbell } from './app.ts';
import { GroupDoorbellRelay, workerDoorbell } from './live/doorbell-group.ts';
import { MongoPresence } from './live/presence-mongo.ts';
import { GroupPresence, workerPresence } from './live/presence-group.ts';
import { countDbError, enableMetrics } from './metrics/metrics.ts';
import type { Database } from './db/database.ts';
import { Users } from './auth/users.ts';
import { MongoChangeStore } from './log/mongo-store.ts';
import { Streams } from './log/streams.ts';
import { type MetricsServer, servePrimaryMetrics, serveProcessMetrics } from './metrics/serve.ts';
import { workerCount } from './workers/count.ts';
import { PRIMARY_DATABASE_ENV, SHUTDOWN_MESSAGE, startGroup, workerMessages } from './workers/primary.ts';

// Reads the configuration, opens the database (starting the embedded one when no MONGODB_URL is
// set), serves, and shuts everything down in order on SIGINT/SIGTERM. With LIVELOG_WORKERS above
// one, this process is the primary of a group (workers/primary.ts) and each worker runs this file
// again as `serveWorker`.

async function main(): Promise<void> {
  let config: Config;
  let count: number;
  try {
    config = loadConfig();
    count = cluster.isWorker ? 1 : workerCount(config.LIVELOG_WORKERS, availableParallelism());
  } catch (error) {
    console.error(`livelog: bad configuration: ${(error as Error).message}`);
    process.exit(2);
  }
  // A worker's lines carry its id (a replacement gets a new one); the primary's say it is the primary.
  const base = cluster.worker ? { app: 'livelog', worker: cluster.worker.id } : count > 1 ? { app: 'livelog', role: 'primary' } : { app: 'livelog' };
  const logger = pino({ level: config.LOG_LEVEL, base });
  // Requests' errors are answered by Fastify's error handler, one request at a time. A promise that
  // nobody awaited is a bug to log, not a reason to drop every viewer: the process stays up.
  if (process.env.LIVELOG_TEST_CHEAP_PASSWORDS === '1' && cluster.isPrimary) {
    logger.warn('LIVELOG_TEST_CHEAP_PASSWORDS is set: new passwords are hashed at a test cost; never set it on a real server');
  }
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled promise rejection (a bug: please report it)'));
  // A thrown error nobody caught leaves the process in an unknown state: log it and exit, so the
  // supervisor (deploy/livelog.service, or the primary for a worker) starts a clean one and viewers
  // resume by seq.
  process.on('uncaughtException', (error) => {
    logger.fatal({ err: error }, 'uncaught exception: exiting');
    process.exit(1);
  });

  if (cluster.isWorker) return serveWorker(config, logger);
  const opened = await open(config, logger);
  if (count > 1) return servePrimary(config, logger, opened, count);

  const app = await listen(config, logger, opened);
  // Once serving: a start that fails to listen must not make an admin whose password nobody saw.
  const welcome = await firstRun(opened.database);
  const address = app.server.address();
  const url = urlOf(config, typeof address === 'object' && address ? address.port : config.PORT);
  logger.info({ url, database: opened.describe }, 'livelog is serving');
  printBanner(url, welcome);
  const metrics = await serveProcessMetrics(config, logger);
  onStop(logger, 10_000, async () => {
    // Before anything else: the same signal may reach FerretDB, and its exit is no crash to heal.
    opened.closing();
    await app.close().catch((err) => logger.error({ err }, 'closing the server failed'));
    await metrics?.close().catch((err) => logger.error({ err }, 'closing the metrics server failed'));
    await opened.close().catch((err) => logger.error({ err }, 'closing the database failed'));
  });
}

/**
 * A worker of a LIVELOG_WORKERS group: the primary gave it the database (MONGODB_URL) and the
 * shared relay: the doorbell and viewer counts go through the primary, which shares them through
 * the database. It drains on the primary's word, on a signal of its own, or when the primary is
 * gone; the primary replaces a worker that exits while the group runs.
 */
async function serveWorker(config: Config, logger: Logger): Promise<void> {
  // Heard from the start: a drain asked for while this worker still starts must not be lost, or
  // the primary would wait out its drain timeout for it.
  let stopAsked: string | undefined;
  let stop = (reason: string) => {
    stopAsked ??= reason;
  };
  process.on('message', (message) => {
    if ((message as { livelog?: string } | null)?.livelog === SHUTDOWN_MESSAGE.livelog) stop('primary');
  });
  // An orphan would hold its viewers with no primary to replace it or stop it: it drains too.
  // (Node's cluster would exit the worker at once on the lost channel, cutting requests mid-way,
  // unless the worker counts as leaving on purpose.)
  if (cluster.worker) cluster.worker.exitedAfterDisconnect = true;
  process.on('disconnect', () => stop('primary gone'));
  const opened = await open(config, logger);
  const relay = { doorbell: workerDoorbell(), presence: workerPresence(config.LIVELOG_PRESENCE_MS) };
  const app = await listen(config, logger, opened, relay);
  logger.info({ database: process.env[PRIMARY_DATABASE_ENV] ?? opened.describe }, 'worker is serving');
  stop = onStop(logger, 10_000, async () => {
    await app.close().catch((err) => logger.error({ err }, 'closing the server failed'));
    await opened.close().catch((err) => logger.error({ err }, 'closing the database failed'));
  });
  if (stopAsked) stop(stopAsked);
}

/** The primary of a group: the database and the banner once, the workers, and the drain. */
async function servePrimary(config: Config, logger: Logger, opened: OpenedDatabase, count: number): Promise<void> {
  // The primary's own metrics (the shared relay's database errors) are in the group's scrape.
  if (config.LIVELOG_METRICS_PORT !== undefined) enableMetrics();
  // The shared relay (LIVELOG_RELAY=changestream, else as =mongo whatever it says): the primary alone
  // hears the other instances and writes the group's viewer counts in the database, and relays both
  // to its workers over IPC.
  const relayed = await sharedDoorbell(config, opened.database.db, logger).catch((error: unknown) => cannotStart(error, opened, logger));
  const doorbell = new GroupDoorbellRelay(relayed, workerMessages);
  const presence = new MongoPresence(opened.database.db, randomUUID(), config.LIVELOG_PRESENCE_MS, logger.child({ component: 'presence' }));
  const viewers = new GroupPresence(presence, config.LIVELOG_PRESENCE_MS, (err) => {
    countDbError('presence');
    logger.debug({ err }, 'viewer counts not updated this round');
  });
  doorbell.start();
  viewers.start();
  const group = startGroup({ count, logger, workerEnv: { MONGODB_URL: opened.url, [PRIMARY_DATABASE_ENV]: opened.describe }, services: [doorbell, viewers] });
  let metrics: MetricsServer | undefined;
  let stopping = false;
  // Within systemd's TimeoutStopSec (deploy/livelog.service): the drain, then the database.
  onStop(logger, 18_000, async () => {
    stopping = true;
    opened.closing();
    await group.drain();
    await metrics?.close().catch((err) => logger.error({ err }, 'closing the metrics server failed'));
    await opened.close().catch((err) => logger.error({ err }, 'closing the database failed'));
  });
  let address: { port: number };
  try {
    address = await group.ready;
  } catch (error) {
    if (stopping) return;
    logger.fatal({ reason: (error as Error).message }, 'the workers could not start');
    await group.drain();
    await opened.close().catch((err) => logger.error({ err }, 'closing the database failed'));
    process.exit(1);
  }
  if (stopping) return;
  const welcome = await firstRun(opened.database);
  const url = urlOf(config, address.port);
  logger.info({ url, database: opened.describe, workers: count }, 'livelog is serving');
  printBanner(url, welcome);
  metrics = await servePrimaryMetrics(config, logger);
}

async function open(config: Config, logger: Logger): Promise<OpenedDatabase> {
  try {
    return await openDatabase(config, logger);
  } catch (error) {
    // One clear line for the person starting it (no stack trace: nothing in it would help them).
    const reason = (error as Error).message;
    logger.fatal({ reason }, 'cannot open the database');
    console.error(`livelog: cannot open the database: ${reason}`);
    process.exit(1);
  }
}

/** One clear line for the person starting it (LIVELOG_RELAY=changestream on FerretDB); the log keeps the stack of a bug. */
async function cannotStart(error: unknown, opened: OpenedDatabase, logger: Logger): Promise<never> {
  logger.fatal({ err: error }, 'cannot start');
  console.error(`livelog: cannot start: ${(error as Error).message}`);
  await opened.close().catch(() => {});
  process.exit(1);
}

async function listen(config: Config, logger: Logger, opened: OpenedDatabase, relay?: Pick<AppOptions, 'doorbell' | 'presence'>): Promise<FastifyInstance> {
  const app = await buildApp({ config, database: opened.database, logger, ...relay }).catch((error: unknown) => cannotStart(error, opened, logger));
  try {
    await app.listen({ port: config.PORT, host: config.HOST });
  } catch (error) {
    console.error(`livelog: cannot listen on ${config.HOST}:${config.PORT}: ${(error as Error).message}`);
    await opened.close();
    process.exit(1);
  }
  return app;
}

function urlOf(config: Config, port: number): string {
  return `http://${config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST}:${port}/`;
}

/** Runs `close` once, on SIGINT/SIGTERM or when the returned function is called; exits 1 past `forceMs`, else 0. */
function onStop(logger: Logger, forceMs: number, close: () => Promise<void>): (reason: string) => void {
  let stopping = false;
  const stop = async (reason: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal: reason }, 'shutting down');
    setTimeout(() => {
      logger.error({ afterMs: forceMs }, 'shutdown took too long: exiting');
      process.exit(1);
    }, forceMs).unref();
    await close();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  return (reason) => void stop(reason);
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
