import { createHash, randomBytes } from 'node:crypto';
import type { Collection } from 'mongodb';
import type { TokenRecord, UserRecord } from './types.ts';

const PREFIX = 'livelog_';

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export class Tokens {
  constructor(
    private readonly tokens: Collection<TokenRecord>,
    private readonly users: Collection<UserRecord>,
  ) {}

  /** Makes a new 256-bit token for a user. The token itself is returned once and never stored. */
  async create(user: UserRecord, name: string): Promise<string> {
    const token = PREFIX + randomBytes(32).toString('base64url');
    await this.tokens.insertOne({ _id: hashToken(token), userId: user._id, name, createdAt: new Date() });
    return token;
  }

  /** The user a bearer token belongs to, or null. */
  async userFor(token: string): Promise<UserRecord | null> {
    if (!token.startsWith(PREFIX) || token.length > 100) return null;
    const record = await this.tokens.findOne({ _id: hashToken(token) });
    return record ? this.users.findOne({ _id: record.userId }) : null;
  }
}
