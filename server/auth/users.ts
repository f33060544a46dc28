import { randomUUID } from 'node:crypto';
import type { Collection } from 'mongodb';
import createError from '@fastify/error';
import { isDuplicateKey } from '../db/database.ts';
import { hashPassword, verifyPassword } from './passwords.ts';
import type { UserRecord } from './types.ts';
import type { Actor } from '../stream/types.ts';

export const NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$';
export const UserExists = createError('LIVELOG_USER_EXISTS', 'A user named "%s" already exists', 409);
export const UserNotFound = createError('LIVELOG_USER_NOT_FOUND', 'No user named "%s"', 404);
export const InvalidUserName = createError(
  'LIVELOG_INVALID_USER_NAME',
  'A user name is 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit',
  400,
);
export const WeakPassword = createError('LIVELOG_WEAK_PASSWORD', 'A password needs at least 8 characters', 400);

export class Users {
  constructor(private readonly users: Collection<UserRecord>) {}

  async add(name: string, password: string, admin = false): Promise<UserRecord> {
    if (!new RegExp(NAME_PATTERN).test(name)) throw new InvalidUserName();
    checkPassword(password);
    const user: UserRecord = {
      _id: randomUUID(),
      name,
      passwordHash: await hashPassword(password),
      admin,
      createdAt: new Date(),
    };
    try {
      await this.users.insertOne(user);
    } catch (error) {
      if (isDuplicateKey(error)) throw new UserExists(name);
      throw error;
    }
    return user;
  }

  async setPassword(name: string, password: string): Promise<void> {
    checkPassword(password);
    const result = await this.users.updateOne({ name }, { $set: { passwordHash: await hashPassword(password) } });
    if (result.matchedCount === 0) throw new UserNotFound(name);
  }

  /** The user if the password matches; null otherwise (unknown name or wrong password alike). */
  async authenticate(name: string, password: string): Promise<UserRecord | null> {
    const user = await this.users.findOne({ name });
    if (!user) {
      // Spend the same time as a real check, so response times do not reveal which names exist.
      await verifyPassword(password, DUMMY_HASH);
      return null;
    }
    return (await verifyPassword(password, user.passwordHash)) ? user : null;
  }

  byId(id: string): Promise<UserRecord | null> {
    return this.users.findOne({ _id: id });
  }

  byName(name: string): Promise<UserRecord | null> {
    return this.users.findOne({ name });
  }

  list(): Promise<UserRecord[]> {
    return this.users.find({}, { projection: { passwordHash: 0 } }).sort({ name: 1 }).toArray();
  }

  count(): Promise<number> {
    return this.users.countDocuments();
  }
}

function checkPassword(password: string): void {
  if (password.length < 8) throw new WeakPassword();
}

const DUMMY_HASH = 'scrypt$131072$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

/** A user as the author of changes: name for display, admin for permission checks. */
export function actorOf(user: UserRecord): Actor {
  return { id: user._id, name: user.name, admin: user.admin };
}
