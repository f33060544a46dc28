import { after, before } from 'node:test';
import { MongoChangeStore } from '../server/log/mongo-store.ts';
import { changeStoreContract } from './fixtures/change-store-contract.ts';
import { testDatabase } from './helpers.ts';

// The MongoDB store keeps the same promises as the in-memory one (test/unit/append.test.ts).
let database: Awaited<ReturnType<typeof testDatabase>>;
before(async () => {
  database = await testDatabase();
});
after(() => database.drop());

changeStoreContract('the MongoDB store', async () => new MongoChangeStore(database));
