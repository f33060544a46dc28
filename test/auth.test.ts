import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { MongoClient } from 'mongodb';
import pino from 'pino';
import { Users } from '../server/auth/users.ts';
import { Tokens } from '../server/auth/tokens.ts';
import { MongoSessionStore, sessionsOf } from '../server/auth/session-store.ts';
import { loadConfig } from '../server/config.ts';
import { buildApp } from '../server/app.ts';
import type { SessionRecord } from '../server/auth/types.ts';
import { addAuthor, AUTHOR_PASSWORD, databaseUrl, testApp, testDatabase, type TestApp } from './helpers.ts';
import { Browser, csrfFor } from './browser.ts';

let t: TestApp;
let users: Users;
const ADMIN_PASSWORD = 'editor at large';
before(async () => {
  t = await testApp();
  users = new Users(t.database);
  await users.add('chief', ADMIN_PASSWORD, true);
});
after(() => t.close());

async function loggedIn(name: string, password: string): Promise<Browser> {
  const browser = new Browser(t.app);
  assert.equal((await browser.logIn(name, password)).statusCode, 303, `${name} logs in`);
  return browser;
}

const signedIn = async (browser: Browser) => /Signed in as/.test((await browser.request('GET', '/')).body);

const HOSTILE_NEXT = [
  '/s/é',
  '/s/日本',
  '/\u200bs',
  '/s/a\tb',
  '/s/a\r\nSet-Cookie: x=1',
  '/s/a%0d%0aSet-Cookie:%20x=1',
  '/\\evil.com',
  '/%5cevil.com',
  '//evil.com',
  '///evil.com',
  '/.//evil.com',
  'https://evil.com',
  'javascript:alert(1)',
  '/\t/evil.com',
  '/s/a\u2028b',
  '/' + 'a'.repeat(1999),
  '/' + 'é'.repeat(3000),
];

test('no next, however hostile, breaks the login page or the redirect, and the server keeps answering', async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    for (const next of HOSTILE_NEXT) {
      const browser = new Browser(t.app);
      const form = await browser.request('GET', `/login?next=${encodeURIComponent(next)}`);
      assert.ok([200, 400].includes(form.statusCode), `GET /login with ${JSON.stringify(next.slice(0, 40))}: ${form.statusCode}`);
      const csrf = await csrfFor(browser, false);
      const login = await browser.request('POST', '/login', { _csrf: csrf, name: 'reporter', password: AUTHOR_PASSWORD, next });
      assert.ok(login.statusCode >= 300 && login.statusCode < 500, `POST /login with ${JSON.stringify(next.slice(0, 40))}: ${login.statusCode}`);
      if (login.statusCode === 303) {
        const location = String(login.headers.location);
        assert.match(location, /^\/(?!\/)[\x21-\x7e]*$/, `a same-site ASCII path: ${location.slice(0, 60)}`);
        assert.doesNotMatch(location, /evil\.com|%5c|%0d|%0a/i);
      }
    }
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(unhandled, []);
    assert.equal((await t.app.inject('/healthz')).statusCode, 200, 'the process still answers');
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});

test('the session store catches and logs a throwing callback, and hands database errors to the callback', async () => {
  const logged: { level: number; msg: string; component?: string }[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void logged.push(JSON.parse(line)) }).child({ component: 'sessions' });
  const store = new MongoSessionStore(sessionsOf(t.database), logger);
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    const session = { userId: 'u', cookie: { expires: new Date(Date.now() + 60_000) } } as never;
    await new Promise<void>((resolve) =>
      store.set('sid-1', session, () => {
        resolve();
        throw new TypeError('Invalid character in header content ["location"]');
      }),
    );
    await new Promise<void>((resolve) =>
      store.get('sid-1', (err, restored) => {
        assert.equal(err, null);
        assert.equal((restored as { userId?: string }).userId, 'u');
        resolve();
        throw new Error('thrown by a get callback');
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(unhandled, [], 'nothing escaped as an unhandled rejection');
    assert.equal(logged.filter((l) => l.level === 50 && l.component === 'sessions').length, 2, 'both throws were logged');

    // A database that is gone: the error goes to the callback, so fastify answers that request alone.
    const client = new MongoClient(databaseUrl(), { serverSelectionTimeoutMS: 500 });
    await client.connect();
    const gone = new MongoSessionStore(client.db(t.database.db.databaseName).collection<SessionRecord>('sessions'), logger);
    await client.close();
    const error = await new Promise((resolve) => gone.get('sid-1', (err) => resolve(err)));
    assert.ok(error instanceof Error, 'the callback got the database error');
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});

test('anonymous visitors cost no session record; a login makes exactly one', async () => {
  const database = await testDatabase();
  const own = await testApp();
  try {
    for (let i = 0; i < 10; i++) {
      const visitor = new Browser(own.app);
      assert.equal((await visitor.request('GET', '/login')).statusCode, 200);
      assert.equal((await visitor.request('GET', `/s/${own.slug}`)).statusCode, 200);
      assert.equal((await visitor.request('GET', '/')).statusCode, 200);
    }
    assert.equal(await own.database.collection('sessions').countDocuments(), 0);
    const author = new Browser(own.app);
    assert.equal((await author.logIn('reporter', AUTHOR_PASSWORD)).statusCode, 303);
    assert.equal(await own.database.collection('sessions').countDocuments(), 1);
    // A CSRF token from the login form still protects logging out.
    assert.equal((await author.request('POST', '/logout', { _csrf: 'forged' })).statusCode, 403);
    assert.equal((await author.request('POST', '/logout', { _csrf: await csrfFor(author, true) })).statusCode, 303);
    assert.equal(await own.database.collection('sessions').countDocuments(), 0);
  } finally {
    await own.close();
    await database.drop();
  }
});

test('a password change ends every session of that user, on every instance', async () => {
  await users.add('changer', 'first long password');
  const browser = await loggedIn('changer', 'first long password');
  const config = loadConfig({ MONGODB_URL: databaseUrl(), LIVELOG_DB: t.database.db.databaseName, LOG_LEVEL: 'silent' });
  const other = await buildApp({ config, database: t.database, logger: pino({ level: 'silent' }) });
  try {
    const elsewhere = new Browser(other);
    assert.equal((await elsewhere.logIn('changer', 'first long password')).statusCode, 303);
    assert.ok(await signedIn(browser));
    assert.ok(await signedIn(elsewhere));
    await users.setPassword('changer', 'second long password');
    assert.equal(await signedIn(browser), false, 'logged out on the next request');
    assert.equal(await signedIn(elsewhere), false, 'on the other instance too');
    assert.equal((await new Browser(t.app).logIn('changer', 'first long password')).statusCode, 401);
    assert.ok(await signedIn(await loggedIn('changer', 'second long password')));
  } finally {
    await other.close();
  }
});

test('an admin disables and enables a user on the admin page: sessions end, tokens stop, logins refused', async () => {
  const victim = await users.add('stringer', 'stringer password');
  const token = await new Tokens(t.database).create(victim, 'scoreboard');
  await addAuthor(t.app, t.slug, victim);
  const api = () =>
    t.app.inject({ method: 'POST', url: `/api/streams/${t.slug}/posts`, headers: { authorization: `Bearer ${token}` }, payload: { body: 'from the scoreboard' } });
  const stringer = await loggedIn('stringer', 'stringer password');
  const admin = await loggedIn('chief', ADMIN_PASSWORD);
  assert.equal((await api()).statusCode, 201);

  const csrf = await csrfFor(admin, true);
  const page = await admin.request('GET', '/admin');
  assert.match(page.body, /action="\/admin\/users\/stringer"/);
  assert.equal((await admin.request('POST', '/admin/users/stringer', { _csrf: csrf, change: 'disable' })).statusCode, 303);
  assert.match((await admin.request('GET', '/admin')).body, /<td>stringer<\/td>\s*<td>author<\/td>\s*<td>disabled<\/td>/);

  assert.equal(await signedIn(stringer), false, 'their open session is over');
  assert.equal((await api()).statusCode, 401, 'their API token is refused');
  const wrong = await new Browser(t.app).logIn('stringer', 'not the password');
  assert.equal(wrong.statusCode, 401, 'a wrong password learns nothing new');
  assert.match(wrong.body, /Wrong name or password/);
  const right = await new Browser(t.app).logIn('stringer', 'stringer password');
  assert.equal(right.statusCode, 403);
  assert.match(right.body, /This account is disabled/);

  assert.equal((await admin.request('POST', '/admin/users/stringer', { _csrf: csrf, change: 'enable' })).statusCode, 303);
  assert.ok(await signedIn(await loggedIn('stringer', 'stringer password')));
  assert.equal(await signedIn(stringer), false, 'the session ended by disabling does not come back');
  assert.equal((await api()).statusCode, 201);
});

test('a role change takes effect on the next request', async () => {
  await users.add('deputy', 'deputy password');
  const deputy = await loggedIn('deputy', 'deputy password');
  const admin = await loggedIn('chief', ADMIN_PASSWORD);
  assert.equal((await deputy.request('GET', '/admin')).statusCode, 403);
  const csrf = await csrfFor(admin, true);
  assert.equal((await admin.request('POST', '/admin/users/deputy', { _csrf: csrf, change: 'admin' })).statusCode, 303);
  assert.equal((await deputy.request('GET', '/admin')).statusCode, 200);
  assert.equal((await admin.request('POST', '/admin/users/deputy', { _csrf: csrf, change: 'author' })).statusCode, 303);
  assert.equal((await deputy.request('GET', '/admin')).statusCode, 403);
  assert.equal((await admin.request('POST', '/admin/users/deputy', { _csrf: 'forged', change: 'admin' })).statusCode, 403, 'CSRF');
  assert.equal((await deputy.request('POST', '/admin/users/deputy', { _csrf: await csrfFor(deputy, true), change: 'admin' })).statusCode, 403, 'authors cannot');
});

test('the last enabled admin cannot be disabled or demoted, and an admin cannot disable themself', async () => {
  const own = await testApp();
  try {
    const ownUsers = new Users(own.database);
    await ownUsers.add('solo', 'solo admin password', true);
    const solo = new Browser(own.app);
    assert.equal((await solo.logIn('solo', 'solo admin password')).statusCode, 303);
    const csrf = await csrfFor(solo, true);
    const demote = await solo.request('POST', '/admin/users/solo', { _csrf: csrf, change: 'author' });
    assert.equal(demote.statusCode, 409);
    assert.match(demote.body, /last enabled admin/);
    const self = await solo.request('POST', '/admin/users/solo', { _csrf: csrf, change: 'disable' });
    assert.equal(self.statusCode, 409);
    assert.match(self.body, /cannot disable their own account/);
    await assert.rejects(ownUsers.change('solo', { disabled: true }), /last enabled admin/, 'not from the command line either');
    await ownUsers.add('second', 'second admin password', true);
    assert.equal((await solo.request('POST', '/admin/users/second', { _csrf: csrf, change: 'disable' })).statusCode, 303);
    await assert.rejects(ownUsers.change('solo', { admin: false }), /last enabled admin/, 'a disabled admin does not count');
    assert.equal((await solo.request('POST', '/admin/users/nobody', { _csrf: csrf, change: 'disable' })).statusCode, 404);
    assert.equal((await solo.request('POST', '/admin/users/second', { _csrf: csrf, change: 'promote' })).statusCode, 400);
  } finally {
    await own.close();
  }
});

test('weak passwords are refused on the admin page with a 400 saying why', async () => {
  const admin = await loggedIn('chief', ADMIN_PASSWORD);
  const csrf = await csrfFor(admin, true);
  for (const [password, why] of [
    ['12345678', /at least 10 characters/],
    ['1234567890', /too weak/],
    ['password123', /too weak/],
  ] as const) {
    const response = await admin.request('POST', '/admin/users', { _csrf: csrf, name: 'newbie', password });
    assert.equal(response.statusCode, 400, password);
    assert.match(response.body, why);
  }
  assert.equal(await t.database.collection('users').countDocuments({ name: 'newbie' }), 0);
  assert.equal((await admin.request('POST', '/admin/users', { _csrf: csrf, name: 'newbie', password: 'newbie long password' })).statusCode, 303);
});

test('the command line refuses weak passwords and disables, enables and changes roles', async () => {
  const cli = (...args: string[]) =>
    promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/livelog.ts', ...args], {
      env: { ...process.env, LIVELOG_DB: t.database.db.databaseName },
    }).then(
      (result) => ({ code: 0, ...result }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
  const weak = await cli('user', 'add', 'cli-user', '--password', '12345678');
  assert.equal(weak.code, 1);
  assert.match(weak.stderr, /at least 10 characters/);
  const weakPasswd = await cli('user', 'passwd', 'reporter', '--password', 'password123');
  assert.match(weakPasswd.stderr, /too weak/);
  const added = await cli('user', 'add', 'cli-user', '--password', 'cli user password');
  assert.match(added.stdout, /user "cli-user" added/);
  const session = await loggedIn('cli-user', 'cli user password');
  assert.match((await cli('user', 'role', 'cli-user', 'admin')).stdout, /is now an admin/);
  assert.equal((await session.request('GET', '/admin')).statusCode, 200);
  assert.match((await cli('user', 'disable', 'cli-user')).stdout, /disabled/);
  assert.equal(await signedIn(session), false);
  assert.match((await cli('user', 'enable', 'cli-user')).stdout, /enabled/);
  const badRole = await cli('user', 'role', 'cli-user', 'root');
  assert.equal(badRole.code, 2);
  assert.match(badRole.stderr, /admin or author/);
});
