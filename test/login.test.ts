import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { MongoClient } from 'mongodb';
import pino from 'pino';
import { Users } from '../server/auth/users.ts';
import { MongoSessionStore, sessionsOf } from '../server/auth/session-store.ts';
import { loadConfig } from '../server/config.ts';
import { buildApp } from '../server/app.ts';
import type { SessionRecord } from '../server/auth/types.ts';
import { AUTHOR_PASSWORD, databaseUrl, testApp, type TestApp } from './helpers.ts';
import { Browser, csrfFor, loggedIn } from './browser.ts';

// Logging in and staying logged in: no hostile `next` breaks the login, sessions cost a record only
// once someone logs in, the session store never lets an error escape, and a new password ends
// every old session. Managing accounts is in accounts.test.ts.

let t: TestApp;
let users: Users;
before(async () => {
  t = await testApp();
  users = new Users(t.database);
});
after(() => t.close());

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
  `/${'a'.repeat(1999)}`,
  `/${'é'.repeat(3000)}`,
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
  }
});

test('a password change ends every session of that user, on every instance', async () => {
  await users.add('changer', 'first long password');
  const browser = await loggedIn(t.app, 'changer', 'first long password');
  const config = loadConfig({ MONGODB_URL: databaseUrl(), LIVELOG_DB: t.database.db.databaseName, LOG_LEVEL: 'silent' });
  const other = await buildApp({ config, database: t.database, logger: pino({ level: 'silent' }) });
  try {
    const elsewhere = new Browser(other);
    assert.equal((await elsewhere.logIn('changer', 'first long password')).statusCode, 303);
    assert.ok(await browser.signedIn());
    assert.ok(await elsewhere.signedIn());
    await users.setPassword('changer', 'second long password');
    assert.equal(await browser.signedIn(), false, 'logged out on the next request');
    assert.equal(await elsewhere.signedIn(), false, 'on the other instance too');
    assert.equal((await new Browser(t.app).logIn('changer', 'first long password')).statusCode, 401);
    assert.ok(await (await loggedIn(t.app, 'changer', 'second long password')).signedIn());
  } finally {
    await other.close();
  }
});

