import {
  MongoClient,
  MongoServerError,
  type Collection,
  type CollectionOptions,
  type CreateIndexesOptions,
  type Db,
  type Document,
  type IndexSpecification,
} from 'mongodb';

// The connection, and nothing of what is stored: each part of Livelog names and owns its own
// collections (the log its changes and streams, auth its users, tokens and sessions, media its
// photos) and asks here for a typed handle and the indexes it relies on.

/** Whether the database answers: all that readiness probes and error pages may know of it. */
export interface DatabaseHealth {
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
  /** Whether a ping sent now is answered (driver timeout `ms`), whatever the driver believes. */
  ping(ms: number): Promise<boolean>;
}

export interface Database extends DatabaseHealth {
  client: MongoClient;
  db: Db;
  collection<T extends Document>(name: string, options?: CollectionOptions): Collection<T>;
  /**
   * Creates an index once per connection (again after a failure): a store awaits it before the
   * writes whose correctness rests on it, such as inserts guarded by a unique index.
   */
  ensureIndex(collection: string, spec: IndexSpecification, options: CreateIndexesOptions & { name: string }): Promise<void>;
  close(): Promise<void>;
}

/**
 * Connects. Timeouts are short on purpose: when the database is
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
  const indexes = new Map<string, Promise<void>>();
  const answers = async (timeoutMs: number, waitMs: number) => {
    let timer: NodeJS.Timeout | undefined;
    const answered = await Promise.race([
      db.command({ ping: 1 }, { timeoutMS: timeoutMs }).then(
        () => true,
        () => false,
      ),
      new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), waitMs))),
    ]);
    clearTimeout(timer);
    return answered;
  };
  const database: Database = {
    client,
    db,
    collection: (name, options) => db.collection(name, options),
    ensureIndex(collection, spec, options) {
      const key = `${collection}.${options.name}`;
      let created = indexes.get(key);
      if (!created) {
        const target = db.collection(collection);
        // Two processes creating it at the same moment may see one fail: the index is there all the same.
        created = target.createIndex(spec, options).then(
          () => undefined,
          async (error: unknown) => {
            const existing = await target.indexes().catch(() => []);
            if (!existing.some((index) => index.name === options.name)) throw error;
          },
        );
        created.catch(() => indexes.delete(key));
        indexes.set(key, created);
      }
      return created;
    },
    isAvailable: () => available,
    answersWithin: async (ms) => available || answers(ms, ms),
    // The driver's own timeout does not cover every wait (server selection): a probe must answer.
    ping: (ms) => answers(ms, ms + 500),
    async close() {
      // FerretDB has no sessions commands, so the driver's endSessions on close fails; harmless.
      await client.close().catch(() => {});
    },
  };
  return database;
}

/** A duplicate-key error. FerretDB reports these (code 11000) on insert only, never on update. */
export function isDuplicateKey(error: unknown): boolean {
  return error instanceof MongoServerError && error.code === 11000;
}
