import { createHash, randomBytes } from 'node:crypto';
import type { Collection, Db } from 'mongodb';
import type { SessionStore } from '@fastify/session';
import type * as Fastify from 'fastify';
import { isDuplicateKey } from '../db/database.ts';
import type { SessionRecord } from './types.ts';

const DEFAULT_TTL_MS = 14 * 24 * 3600 * 1000;

/**
 * Sessions live in the database, so a restart or a second instance keeps authors logged in.
 * Stored under a hash of the session id: a leaked database copy holds no usable cookie.
 * FerretDB has no TTL indexes, so expiry is checked on read and swept now and then.
 */
export class MongoSessionStore implements SessionStore {
  private lastSweep = 0;

  constructor(private readonly sessions: Collection<SessionRecord>) {}

  set(sessionId: string, session: Fastify.Session, callback: (err?: unknown) => void): void {
    const expires = session.cookie?.expires ? new Date(session.cookie.expires) : new Date(Date.now() + DEFAULT_TTL_MS);
    this.sessions
      .replaceOne({ _id: hashId(sessionId) }, { data: JSON.stringify(session), expiresAt: expires }, { upsert: true })
      .then(() => callback(), callback);
    this.sweep();
  }

  get(sessionId: string, callback: (err: unknown, session?: Fastify.Session | null) => void): void {
    this.sessions.findOne({ _id: hashId(sessionId) }).then((record) => {
      if (!record || record.expiresAt.getTime() < Date.now()) return callback(null, null);
      callback(null, JSON.parse(record.data));
    }, callback);
  }

  destroy(sessionId: string, callback: (err?: unknown) => void): void {
    this.sessions.deleteOne({ _id: hashId(sessionId) }).then(() => callback(), callback);
  }

  private sweep(): void {
    if (Date.now() - this.lastSweep < 3600_000) return;
    this.lastSweep = Date.now();
    this.sessions.deleteMany({ expiresAt: { $lt: new Date() } }).catch(() => {});
  }
}

function hashId(sessionId: string): string {
  return createHash('sha256').update(sessionId).digest('hex');
}

/**
 * The secret that signs session cookies, made once and shared by every instance through the
 * database: the first instance's insert wins, the others read it.
 */
export async function sessionSecret(db: Db): Promise<string> {
  const secrets = db.collection<{ _id: string; value: string }>('secrets');
  const value = randomBytes(32).toString('base64url');
  try {
    await secrets.insertOne({ _id: 'session-cookie', value });
    return value;
  } catch (error) {
    if (!isDuplicateKey(error)) throw error;
    const stored = await secrets.findOne({ _id: 'session-cookie' });
    if (!stored) throw error;
    return stored.value;
  }
}
