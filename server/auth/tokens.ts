import { createHash, randomBytes } from 'node:crypto';
import type { Collection } from 'mongodb';
import type { Database } from '../db/database.ts';
import { InvalidTokenId, TokenNotFound } from '../errors.ts';
import type { TokenRecord, UserRecord } from './types.ts';
import { TokenCache } from './token-cache.ts';
import { usersOf } from './users.ts';

const PREFIX = 'livelog_';
/** Tokens are listed and revoked by the start of their hash: enough to tell them apart. */
const ID_LENGTH = 12;
const LAST_USED_PRECISION_MS = 60_000;

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export interface TokenUse {
  user: UserRecord;
  token: TokenRecord;
}

export interface TokenListing {
  id: string;
  name: string;
  user: string;
  stream?: string;
  createdAt: Date;
  lastUsedAt?: Date;
}

/** The `tokens` collection: its one reader and writer. */
export class Tokens {
  private readonly tokens: Collection<TokenRecord>;
  private readonly users: Collection<UserRecord>;
  private readonly trusted: TokenCache<TokenUse>;

  /** `trustMs`: how long a checked token is believed without asking again (see TokenCache). */
  constructor(database: Database, trustMs = 0) {
    this.tokens = database.collection<TokenRecord>('tokens');
    this.users = usersOf(database);
    this.trusted = new TokenCache(trustMs);
  }

  /** Makes a new 256-bit token for a user, optionally for one stream only. Returned once, never stored. */
  async create(user: UserRecord, name: string, stream?: string): Promise<string> {
    const token = PREFIX + randomBytes(32).toString('base64url');
    const record: TokenRecord = { _id: hashToken(token), userId: user._id, name: name.slice(0, 100), createdAt: new Date() };
    if (stream) record.stream = stream;
    await this.tokens.insertOne(record);
    return token;
  }

  /** The user and token record a bearer token stands for, or null if it is unknown or revoked, or
   *  its user is disabled. */
  async use(token: string): Promise<TokenUse | null> {
    if (!token.startsWith(PREFIX) || token.length > 100) return null;
    const id = hashToken(token);
    const use = this.trusted.get(id) ?? (await this.lookUp(id));
    if (!use) return null;
    const { token: record } = use;
    const now = new Date();
    if (!record.lastUsedAt || now.getTime() - record.lastUsedAt.getTime() > LAST_USED_PRECISION_MS) {
      record.lastUsedAt = now;
      // Best effort and off the request's path: a lost update only makes "last used" older.
      this.tokens.updateOne({ _id: record._id }, { $set: { lastUsedAt: now } }).catch(() => {});
    }
    return use;
  }

  private async lookUp(id: string): Promise<TokenUse | null> {
    // A revoke or user change here while this reads would otherwise be undone by the `set` below.
    const ticket = this.trusted.ticket();
    const record = await this.tokens.findOne({ _id: id });
    if (!record) return null;
    const user = await this.users.findOne({ _id: record.userId });
    if (!user || user.disabled) return null;
    const use = { user, token: record };
    this.trusted.set(id, user._id, use, ticket);
    return use;
  }

  /** A user was disabled, enabled or given another role here: their tokens are checked afresh. */
  forgetUser(userId: string): void {
    this.trusted.forgetUser(userId);
  }

  async list(): Promise<TokenListing[]> {
    const [tokens, users] = await Promise.all([this.tokens.find({}).toArray(), this.users.find({}).toArray()]);
    const names = new Map(users.map((u) => [u._id, u.name]));
    return tokens
      .map((t) => ({
        id: t._id.slice(0, ID_LENGTH),
        name: t.name,
        user: names.get(t.userId) ?? '(deleted user)',
        stream: t.stream,
        createdAt: t.createdAt,
        lastUsedAt: t.lastUsedAt,
      }))
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
  }

  /** Revokes the token whose id (the start of its hash, as listed) is given. */
  async revoke(id: string): Promise<void> {
    if (!/^[0-9a-f]{8,64}$/.test(id)) throw new InvalidTokenId();
    const matches = (await this.tokens.find({}, { projection: { _id: 1 } }).toArray()).filter((t) => t._id.startsWith(id));
    const [only] = matches;
    if (!only || matches.length !== 1) throw new TokenNotFound(id);
    await this.tokens.deleteOne({ _id: only._id });
    this.trusted.forgetToken(only._id);
  }
}
