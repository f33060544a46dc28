import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import pino from 'pino';
import { buildApp } from '../server/app.ts';
import { loadConfig } from '../server/config.ts';
import { MongoDoorbell } from '../server/live/doorbell-mongo.ts';
import { MongoPresence } from '../server/live/presence-mongo.ts';
import { doorbellContract } from './contracts/doorbell.ts';
import { presenceContract } from './contracts/presence.ts';
import { databaseUrl, testDatabase } from './helpers.ts';

// The doorbell and presence that instances share through the database pass the same tests as the
// in-process ones (test/unit/doorbell-presence-local.test.ts), here on FerretDB.

const logger = pino({ level: 'silent' });

doorbellContract('MongoDB', async () => {
  const database = await testDatabase();
  return { doorbells: [new MongoDoorbell(database.db, logger), new MongoDoorbell(database.db, logger)], close: () => database.drop() };
});

presenceContract('MongoDB', async (roundMs) => {
  const database = await testDatabase();
  return {
    presences: [new MongoPresence(database.db, 'a', roundMs), new MongoPresence(database.db, 'b', roundMs)],
    close: () => database.drop(),
  };
});

test('a MongoDB doorbell vouches for its rings while its tail answers, stops when the tail breaks, and vouches again once reopened', async () => {
  const database = await testDatabase();
  const doorbell = new MongoDoorbell(database.db, logger, { pollMs: 20 });
  const health: boolean[] = [];
  const settled = async (expected: boolean[]) => {
    for (const deadline = Date.now() + 5000; JSON.stringify(health) !== JSON.stringify(expected); ) {
      if (Date.now() > deadline) assert.fail(`health went ${JSON.stringify(health)}, expected ${JSON.stringify(expected)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  try {
    doorbell.start(
      () => {},
      (healthy) => health.push(healthy),
    );
    await settled([true]);
    doorbell.ring('match', 1); // its own ring comes back: still healthy
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(health, [true]);
    // The collection under the cursor disappears (as when capped cleanup removes its place).
    await database.db.collection('doorbell').drop();
    await settled([true, false, true]);
  } finally {
    await doorbell.stop();
    await database.drop();
  }
});

test('LIVELOG_RELAY=changestream on FerretDB is refused at start with a message that says to use LIVELOG_RELAY=mongo', async () => {
  const database = await testDatabase();
  try {
    const config = loadConfig({ MONGODB_URL: databaseUrl(), LIVELOG_DB: database.db.databaseName, LOG_LEVEL: 'silent', LIVELOG_RELAY: 'changestream' });
    await assert.rejects(buildApp({ config, database, logger }), /FerretDB, which has no change streams: use LIVELOG_RELAY=mongo/);
    // The server itself says so in one line and exits, rather than serving without a relay.
    const started = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
      env: { ...process.env, MONGODB_URL: databaseUrl(), LIVELOG_DB: database.db.databaseName, LIVELOG_RELAY: 'changestream', PORT: '0', LOG_LEVEL: 'silent' },
      timeout: 30_000,
    }).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code?: number; stderr?: string }) => ({ code: error.code, stderr: error.stderr ?? '' }),
    );
    assert.equal(started.code, 1);
    assert.match(started.stderr, /^livelog: cannot start: LIVELOG_RELAY=changestream needs a MongoDB replica set, and this database is FerretDB/m);
  } finally {
    await database.drop();
  }
});
