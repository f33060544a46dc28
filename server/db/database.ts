import { MongoClient, MongoServerError, type Collection, type Db } from 'mongodb';
import type { ChangeRecord, StreamRecord } from '../stream/types.ts';
import type { SessionRecord, TokenRecord, UserRecord } from '../auth/types.ts';
import type { MediaRecord } from '../media/images.ts';

export interface Database {
  client: MongoClient;
  db: Db;
  changes: Collection<ChangeRecord>;
  streams: Collection<StreamRecord>;
  users: Collection<UserRecord>;
  tokens: Collection<TokenRecord>;
  sessions: Collection<SessionRecord>;
  media: Collection<MediaRecord>;
  /**
   * False from the moment the driver finds the database gone until it answers again: a reader's
   * page can then skip lookups that would only wait for a timeout and fail.
   */
  isAvailable(): boolean;
  /**
   * Whether the database answers within `ms`; at once when nothing says it is down. A database
   * that just came back is found here before the driver's next heartbeat would find it.
   */
  answersWithin(ms: number): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * Connects and makes sure the indexes exist. Timeouts are short on purpose: when the database is
 * down, an author should get a 503 within seconds, not a form that hangs for half a minute.
 */
export async function connectDatabase(url: string, dbName: string): Promise<Database> {
  const client = new MongoClient(url, {
    serverSelectionTimeoutMS: 3000,
    connectTimeoutMS: 3000,
    // How soon a database that died while idle is noticed, and one that came back is used again.
    heartbeatFrequencyMS: 2000,
    appName: 'livelog',
  });
  // The topology learns of a dead server only at the next heartbeat or failed operation; a
  // refused connection says so at once.
  let available = true;
  client.on('topologyDescriptionChanged', (event) => (available = event.newDescription.hasDataBearingServers));
  client.on('connectionCheckOutFailed', (event) => {
    if (event.reason === 'connectionError') available = false;
  });
  client.on('serverHeartbeatFailed', () => (available = false));
  client.on('serverHeartbeatSucceeded', () => (available = true));
  await client.connect();
  const db = client.db(dbName);
  const database: Database = {
    client,
    db,
    // What viewers are shown must never be rolled back by a replica-set failover.
    changes: db.collection<ChangeRecord>('changes', { readConcern: { level: 'majority' }, readPreference: 'primary' }),
    streams: db.collection<StreamRecord>('streams'),
    users: db.collection<UserRecord>('users'),
    tokens: db.collection<TokenRecord>('tokens'),
    sessions: db.collection<SessionRecord>('sessions'),
    media: db.collection<MediaRecord>('media'),
    isAvailable: () => available,
    async answersWithin(ms) {
      if (available) return true;
      let timer: NodeJS.Timeout | undefined;
      const answered = await Promise.race([
        db.command({ ping: 1 }, { timeoutMS: ms }).then(() => true, () => false),
        new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms))),
      ]);
      clearTimeout(timer);
      return answered;
    },
    async close() {
      // FerretDB has no sessions commands, so the driver's endSessions on close fails; harmless.
      await client.close().catch(() => {});
    },
  };
  await ensureIndexes(database);
  return database;
}

async function ensureIndexes(d: Database): Promise<void> {
  // The idempotency guard: one change per (stream, key). FerretDB has no partial or sparse indexes,
  // so every change record carries a key.
  await d.changes.createIndex({ stream: 1, key: 1 }, { unique: true, name: 'stream_key' });
  await d.users.createIndex({ name: 1 }, { unique: true, name: 'name' });
}

/** A duplicate-key error. FerretDB reports these (code 11000) on insert only, never on update. */
export function isDuplicateKey(error: unknown): boolean {
  return error instanceof MongoServerError && error.code === 11000;
}
