import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Users } from '../server/auth/users.ts';
import { Tokens } from '../server/auth/tokens.ts';
import { addAuthor, testApp, type TestApp } from './helpers.ts';
import { Browser, csrfFor, loggedIn } from './browser.ts';

// Admins manage accounts, on the admin page and the command line: disabling ends sessions and
// stops tokens, role changes count on the next request, the last admin stays, weak passwords are
// refused with the reason. Logging in itself is in login.test.ts.

let t: TestApp;
let users: Users;
const ADMIN_PASSWORD = 'editor at large';
before(async () => {
  t = await testApp();
  users = new Users(t.database);
  await users.add('chief', ADMIN_PASSWORD, true);
});
after(() => t.close());

test('an admin disables and enables a user on the admin page: sessions end, tokens stop, logins refused', async () => {
  const victim = await users.add('stringer', 'stringer password');
  const token = await new Tokens(t.database).create(victim, 'scoreboard');
  await addAuthor(t.app, t.slug, victim);
  const api = () =>
    t.app.inject({ method: 'POST', url: `/api/streams/${t.slug}/posts`, headers: { authorization: `Bearer ${token}` }, payload: { body: 'from the scoreboard' } });
  const stringer = await loggedIn(t.app, 'stringer', 'stringer password');
  const admin = await loggedIn(t.app, 'chief', ADMIN_PASSWORD);
  assert.equal((await api()).statusCode, 201);

  const csrf = await csrfFor(admin, true);
  const page = await admin.request('GET', '/admin');
  assert.match(page.body, /action="\/admin\/users\/stringer"/);
  assert.equal((await admin.request('POST', '/admin/users/stringer', { _csrf: csrf, change: 'disable' })).statusCode, 303);
  assert.match((await admin.request('GET', '/admin')).body, /<td>stringer<\/td>\s*<td>author<\/td>\s*<td>disabled<\/td>/);

  assert.equal(await stringer.signedIn(), false, 'their open session is over');
  assert.equal((await api()).statusCode, 401, 'their API token is refused');
  const wrong = await new Browser(t.app).logIn('stringer', 'not the password');
  assert.equal(wrong.statusCode, 401, 'a wrong password learns nothing new');
  assert.match(wrong.body, /Wrong name or password/);
  const right = await new Browser(t.app).logIn('stringer', 'stringer password');
  assert.equal(right.statusCode, 403);
  assert.match(right.body, /This account is disabled/);

  assert.equal((await admin.request('POST', '/admin/users/stringer', { _csrf: csrf, change: 'enable' })).statusCode, 303);
  assert.ok(await (await loggedIn(t.app, 'stringer', 'stringer password')).signedIn());
  assert.equal(await stringer.signedIn(), false, 'the session ended by disabling does not come back');
  assert.equal((await api()).statusCode, 201);
});

test('a role change takes effect on the next request', async () => {
  await users.add('deputy', 'deputy password');
  const deputy = await loggedIn(t.app, 'deputy', 'deputy password');
  const admin = await loggedIn(t.app, 'chief', ADMIN_PASSWORD);
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
  const admin = await loggedIn(t.app, 'chief', ADMIN_PASSWORD);
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
  const session = await loggedIn(t.app, 'cli-user', 'cli user password');
  assert.match((await cli('user', 'role', 'cli-user', 'admin')).stdout, /is now an admin/);
  assert.equal((await session.request('GET', '/admin')).statusCode, 200);
  assert.match((await cli('user', 'disable', 'cli-user')).stdout, /disabled/);
  assert.equal(await session.signedIn(), false);
  assert.match((await cli('user', 'enable', 'cli-user')).stdout, /enabled/);
  const badRole = await cli('user', 'role', 'cli-user', 'root');
  assert.equal(badRole.code, 2);
  assert.match(badRole.stderr, /admin, author or contributor/);
});
