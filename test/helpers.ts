import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import { MongoChangeStore } from '../server/log/mongo-store.ts';
import { loadConfig } from '../server/config.ts';
import { connectDatabase, type Database } from '../server/db/database.ts';
import { buildApp } from '../server/app.ts';
import { Users } from '../server/auth/users.ts';
import { Tokens } from '../server/auth/tokens.ts';
import { Streams } from '../server/log/streams.ts';
import type { UserRecord } from '../server/auth/types.ts';
import { setAuthor } from '../server/log/commands.ts';

/** Makes a user an author of a stream, as an admin would. */
export async function addAuthor(app: FastifyInstance, slug: string, user: UserRecord): Promise<void> {
  const projection = (await app.livelog.projections.get(slug))!;
  const admin = { id: 'test-admin', name: 'test admin', admin: true };
  await setAuthor(projection, { actor: admin, member: { id: user._id, name: user.name }, active: true, key: `author-${user._id}` });
}

// Tests talk to a real database over the wire: the FerretDB that scripts/with-database.ts started,
// or whatever MONGODB_URL names (a real MongoDB works too). Each test file gets its own database.

export function databaseUrl(): string {
  const url = process.env.MONGODB_URL;
  if (!url) throw new Error('MONGODB_URL is not set: run tests through `npm test` (scripts/with-database.ts)');
  return url;
}

/** A fresh database name: FerretDB accepts Latin letters, digits and underscores. */
export function freshDatabaseName(): string {
  return `test_${randomBytes(6).toString('hex')}`;
}

export async function testDatabase(name = freshDatabaseName()): Promise<Database & { drop(): Promise<void> }> {
  const database = await connectDatabase(databaseUrl(), name);
  return Object.assign(database, {
    async drop() {
      await database.db.dropDatabase().catch(() => {});
      await database.close();
    },
  });
}

export interface TestApp {
  app: FastifyInstance;
  database: Database;
  author: UserRecord;
  token: string;
  slug: string;
  close(): Promise<void>;
}

export const AUTHOR_PASSWORD = 'correct horse battery';

/** The app on a fresh database with one author (and an API token) and one stream; silent unless given a logger. */
export async function testApp(env: Record<string, string> = {}, logger?: Logger): Promise<TestApp> {
  const dbName = freshDatabaseName();
  // Tests publish far faster than any author: the rate limit has its own test. A test that folds a
  // big log in one go must not find its next request refused for the event-loop delay it caused:
  // pressure has its own tests (test/unit/pressure.test.ts, test/pressure.test.ts).
  const config = loadConfig({
    MONGODB_URL: databaseUrl(),
    LIVELOG_DB: dbName,
    LOG_LEVEL: 'silent',
    LIVELOG_CHANGES_PER_MINUTE: '100000',
    LIVELOG_MAX_EVENT_LOOP_DELAY_MS: '0',
    ...env,
  });
  const database = await testDatabase(dbName);
  const author = await new Users(database).add('reporter', AUTHOR_PASSWORD);
  const token = await new Tokens(database).create(author, 'test');
  const slug = 'launch';
  await new Streams(new MongoChangeStore(database)).create(slug, 'The launch', author._id);
  const app = await buildApp({ config, database, logger: logger ?? pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }) });
  await app.ready();
  await addAuthor(app, slug, author);
  return {
    app,
    database,
    author,
    token,
    slug,
    async close() {
      await app.close();
      await database.drop();
    },
  };
}
