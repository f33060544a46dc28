import { createHash, randomBytes } from 'node:crypto';
import type { Collection, Db } from 'mongodb';
import type { SessionStore } from '@fastify/session';
import type * as Fastify from 'fastify';
import type { FastifyBaseLogger } from 'fastify';
import { isDuplicateKey, type Database } from '../db/database.ts';
import type { SessionRecord } from './types.ts';

const DEFAULT_TTL_MS = 14 * 24 * 3600 * 1000;
const SWEEP_EVERY_MS = 3600_000;

/**
 * Sessions live in the database, so a restart or a second instance keeps authors logged in.
 * Stored under a hash of the session id: a leaked database copy holds no usable cookie.
 * FerretDB has no TTL indexes, so expiry is checked on read and swept now and then.
 *
 * The session plugin's callbacks go on to write the response; they run here from a promise, where
 * a throw would be an unhandled rejection that ends the process. So every callback is called
 * through `answer`, which catches and logs: one broken response, never a dead server.
 */
/** The `sessions` collection; the store below is its one reader and writer. */
export function sessionsOf(database: Database): Collection<SessionRecord> {
  return database.collection<SessionRecord>('sessions');
}

export class MongoSessionStore implements SessionStore {
  private lastSweep = 0;

  constructor(
    private readonly sessions: Collection<SessionRecord>,
    private readonly logger: FastifyBaseLogger,
  ) {}

  set(sessionId: string, session: Fastify.Session, callback: (err?: unknown) => void): void {
    const expires = session.cookie?.expires ? new Date(session.cookie.expires) : new Date(Date.now() + DEFAULT_TTL_MS);
    this.sessions
      .replaceOne({ _id: hashId(sessionId) }, { data: JSON.stringify(session), expiresAt: expires }, { upsert: true })
      .then(
        () => this.answer('set', () => callback()),
        (error: unknown) => this.answer('set', () => callback(error)),
      );
    this.sweep();
  }

  get(sessionId: string, callback: (err: unknown, session?: Fastify.Session | null) => void): void {
    this.sessions.findOne({ _id: hashId(sessionId) }).then(
      (record) => this.answer('get', () => callback(null, this.restore(record))),
      (error: unknown) => this.answer('get', () => callback(error)),
    );
  }

  destroy(sessionId: string, callback: (err?: unknown) => void): void {
    this.sessions.deleteOne({ _id: hashId(sessionId) }).then(
      () => this.answer('destroy', () => callback()),
      (error: unknown) => this.answer('destroy', () => callback(error)),
    );
  }

  private restore(record: SessionRecord | null): Fastify.Session | null {
    if (!record || record.expiresAt.getTime() < Date.now()) return null;
    try {
      return JSON.parse(record.data) as Fastify.Session;
    } catch (err) {
      // A record we cannot read is no session: the visitor logs in again.
      this.logger.warn({ err }, 'unreadable session record ignored');
      return null;
    }
  }

  private answer(operation: string, callback: () => void): void {
    try {
      callback();
    } catch (err) {
      this.logger.error({ err, operation }, 'the session callback threw; the process carries on');
    }
  }

  private sweep(): void {
    if (Date.now() - this.lastSweep < SWEEP_EVERY_MS) return;
    this.lastSweep = Date.now();
    this.sessions
      .deleteMany({ expiresAt: { $lt: new Date() } })
      .catch((err: unknown) => this.logger.warn({ err }, 'sweeping expired sessions failed; next try in an hour'));
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
