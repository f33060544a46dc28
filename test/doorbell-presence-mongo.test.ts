import pino from 'pino';
import { MongoDoorbell } from '../server/live/doorbell-mongo.ts';
import { MongoPresence } from '../server/live/presence-mongo.ts';
import { doorbellContract } from './contracts/doorbell.ts';
import { presenceContract } from './contracts/presence.ts';
import { testDatabase } from './helpers.ts';

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
