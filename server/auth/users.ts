import { randomUUID } from 'node:crypto';
import type { Collection } from 'mongodb';
import { isDuplicateKey, type Database } from '../db/database.ts';
import { InvalidUserName, LastAdmin, OwnAccount, UserExists, UserNotFound, WeakPassword } from '../errors.ts';
import { COST, hashPassword, verifyPassword } from './passwords.ts';
import { PasswordChecks } from './password-checks.ts';
import { passwordProblem } from './password-rule.ts';
import type { UserRecord } from './types.ts';
import type { Actor } from '../log/records.ts';

export const NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$';
/** What an admin may do to a user besides setting a password. */
export type UserChange = { disabled: boolean } | { admin: boolean; contributor?: boolean };

/** Each user has one role: what it may do in the streams it belongs to (admins: in every stream). */
export type Role = 'admin' | 'author' | 'contributor';
export const ROLES: readonly Role[] = ['admin', 'author', 'contributor'];
export const roleChange = (role: Role): UserChange => ({ admin: role === 'admin', contributor: role === 'contributor' });
export const roleOf = (user: Pick<UserRecord, 'admin' | 'contributor'>): Role => (user.admin ? 'admin' : user.contributor ? 'contributor' : 'author');

/** The `users` collection: its one reader and writer. */
export class Users {
  private readonly users: Collection<UserRecord>;
  private readonly changeListeners: ((userId: string) => void)[] = [];

  constructor(
    private readonly database: Database,
    private readonly checks = new PasswordChecks(),
  ) {
    this.users = usersOf(database);
  }

  async add(name: string, password: string, admin = false): Promise<UserRecord> {
    if (!new RegExp(NAME_PATTERN).test(name)) throw new InvalidUserName();
    checkPassword(password, name);
    const user: UserRecord = {
      _id: randomUUID(),
      name,
      passwordHash: await this.checks.run(() => hashPassword(password)),
      admin,
      createdAt: new Date(),
    };
    // Names are unique by index, so two admins adding the same name at once make one user.
    await this.database.ensureIndex('users', { name: 1 }, { unique: true, name: 'name' });
    try {
      await this.users.insertOne(user);
    } catch (error) {
      if (isDuplicateKey(error)) throw new UserExists(name);
      throw error;
    }
    return user;
  }

  /** Sets a new password and ends every session of the user, on every instance. */
  async setPassword(name: string, password: string): Promise<void> {
    checkPassword(password, name);
    const passwordHash = await this.checks.run(() => hashPassword(password));
    const result = await this.users.updateOne({ name }, { $set: { passwordHash }, $inc: { sessionEpoch: 1 } });
    if (result.matchedCount === 0) throw new UserNotFound(name);
  }

  /**
   * The user if the password matches; null otherwise (unknown name or wrong password alike).
   * A disabled user with the right password is returned: the caller says so, to them alone.
   * Throws PasswordChecksBusy (503) when too many checks are running or waiting.
   */
  async authenticate(name: string, password: string): Promise<UserRecord | null> {
    const user = await this.users.findOne({ name });
    // Unknown names spend a real check too, through the same bound, so response times do not
    // reveal which names exist.
    const matches = await this.checks.run(() => verifyPassword(password, user?.passwordHash ?? DUMMY_HASH));
    return user && matches ? user : null;
  }

  /**
   * Disables or enables a user, or makes them an admin, an author or a contributor. Disabling ends their
   * sessions (see sessionEpoch). Refused for the last enabled admin, and for an admin's own
   * account (`by`, absent for the command line).
   */
  async change(name: string, change: UserChange, by?: UserRecord): Promise<UserRecord> {
    const user = await this.byName(name);
    if (!user) throw new UserNotFound(name);
    const disabling = 'disabled' in change && change.disabled;
    if (disabling && by && by._id === user._id) throw new OwnAccount();
    const losesAdmin = isEnabledAdmin(user) && (disabling || ('admin' in change && !change.admin));
    if (losesAdmin && (await this.enabledAdmins()) <= 1) throw new LastAdmin(name);
    await this.users.updateOne({ _id: user._id }, disabling ? { $set: change, $inc: { sessionEpoch: 1 } } : { $set: change });
    for (const listener of this.changeListeners) listener(user._id);
    // FerretDB has no transactions: two admins demoting each other at once could both pass the
    // check above. Counting again afterwards and undoing leaves at least one admin standing.
    if (losesAdmin && (await this.enabledAdmins()) === 0) {
      await this.users.updateOne({ _id: user._id }, { $set: { disabled: user.disabled ?? false, admin: user.admin } });
      throw new LastAdmin(name);
    }
    return { ...user, ...change };
  }

  /** Called with a user's id once this process has disabled, enabled or re-roled them. */
  onChange(listener: (userId: string) => void): void {
    this.changeListeners.push(listener);
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

  private enabledAdmins(): Promise<number> {
    return this.users.countDocuments({ admin: true, disabled: { $ne: true } });
  }
}

function isEnabledAdmin(user: UserRecord): boolean {
  return user.admin && !user.disabled;
}

function checkPassword(password: string, name: string): void {
  const problem = passwordProblem(password, [name]);
  if (problem) throw new WeakPassword(problem);
}

/** A hash at today's cost for a password nobody has: unknown names cost what known ones do. */
const DUMMY_HASH = ['scrypt', COST.N, COST.r, COST.p, 'AAAAAAAAAAAAAAAAAAAAAA', 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'].join('$');

/** A user as the author of changes: name for display, admin for permission checks. */
export function actorOf(user: UserRecord): Actor {
  return { id: user._id, name: user.name, admin: user.admin, ...(user.contributor && !user.admin ? { contributor: true } : {}) };
}

/** The users collection, for the token check, which reads it alongside its own. */
export function usersOf(database: Database): Collection<UserRecord> {
  return database.collection<UserRecord>('users');
}
