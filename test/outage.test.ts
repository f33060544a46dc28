import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { MongoChangeStore } from '../server/log/mongo-store.ts';
import { buildApp } from '../server/app.ts';
import { loadConfig } from '../server/config.ts';
import { connectDatabase, type Database } from '../server/db/database.ts';
import { startEmbeddedDatabase, type EmbeddedDatabase } from '../server/db/embedded.ts';
import { Users } from '../server/auth/users.ts';
import { Tokens } from '../server/auth/tokens.ts';
import { Streams } from '../server/log/streams.ts';

// A database outage, on a FerretDB of this test's own that it stops and starts again.

const logger = pino({ level: 'silent' });
let dataDir: string;
let db: EmbeddedDatabase;
let database: Database;
let app: FastifyInstance;
let token: string;

before(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'livelog-outage-'));
  db = await startEmbeddedDatabase({ dataDir, logger });
  database = await connectDatabase(db.url, 'livelog');
  const user = await new Users(database).add('reporter', 'a long password', true);
  token = await new Tokens(database).create(user, 'test');
  await new Streams(new MongoChangeStore(database)).create('storm', 'The storm', user._id);
  app = await buildApp({ config: loadConfig({ MONGODB_URL: db.url, LOG_LEVEL: 'silent' }), database, logger });
});
after(async () => {
  await app.close();
  await database.close();
  await db.stop();
  await rm(dataDir, { recursive: true, force: true });
});

const publish = (body: string, key: string) =>
  app.inject({
    method: 'POST',
    url: '/api/streams/storm/posts',
    headers: { authorization: `Bearer ${token}`, 'idempotency-key': key },
    payload: { body },
  });

test('with the database down, posting answers 503 within seconds; after it returns, a retry publishes exactly once', { timeout: 60_000 }, async () => {
  assert.equal((await publish('before the outage', 'outage-key-0')).statusCode, 201);
  await db.stop();

  const started = Date.now();
  const refused = await publish('during the outage', 'outage-key-1');
  const elapsed = Date.now() - started;
  assert.equal(refused.statusCode, 503);
  assert.match(refused.json().message, /database is not answering; nothing was lost/);
  assert.equal(refused.headers['retry-after'], '5');
  // Two of the driver's 3 s server selections at most: a trusted token reaches the append without a
  // read, and the append can wait behind the stream's catch-up read, itself waiting out the first.
  assert.ok(elapsed < 9000, `answered after ${elapsed} ms`);
  assert.equal((await app.inject('/readyz')).statusCode, 503);
  // Viewers keep their page: it is served from memory.
  assert.equal((await app.inject({ url: '/s/storm', headers: { accept: 'text/html' } })).statusCode, 200);
  assert.equal((await app.inject('/api/streams/storm/posts')).statusCode, 200);

  db = await startEmbeddedDatabase({ dataDir, logger });
  let retried = await publish('during the outage', 'outage-key-1');
  for (let i = 0; retried.statusCode === 503 && i < 20; i++) {
    await new Promise((r) => setTimeout(r, 500));
    retried = await publish('during the outage', 'outage-key-1');
  }
  assert.equal(retried.statusCode, 201);
  const again = await publish('during the outage', 'outage-key-1');
  assert.equal(again.json().id, retried.json().id);
  // Keys are stored scoped to their sender (`USERID/KEY`).
  const keys = await database.collection('changes').find({}, { projection: { key: 1 } }).toArray();
  assert.equal(keys.filter((c) => c.key.endsWith('/outage-key-1')).length, 1);
  assert.equal((await app.inject('/readyz')).statusCode, 200);
});
