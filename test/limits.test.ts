import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Users } from '../server/auth/users.ts';
import { Tokens } from '../server/auth/tokens.ts';
import { LoginThrottle } from '../server/auth/login-throttle.ts';
import { addAuthor, AUTHOR_PASSWORD, testApp, type TestApp } from './helpers.ts';
import { Browser } from './browser.ts';

let t: TestApp;
let colleagueToken: string;
before(async () => {
  t = await testApp({ LIVELOG_CHANGES_PER_MINUTE: '3' });
  const colleague = await new Users(t.database).add('colleague', 'colleague password');
  await addAuthor(t.app, t.slug, colleague);
  colleagueToken = await new Tokens(t.database).create(colleague, 'c');
});
after(() => t.close());

const publish = (token: string, body: string) =>
  t.app.inject({ method: 'POST', url: `/api/streams/${t.slug}/posts`, headers: { authorization: `Bearer ${token}` }, payload: { body } });

test('posting is rate-limited per token with a clear 429; another token is not affected', async () => {
  for (let i = 0; i < 3; i++) assert.equal((await publish(t.token, `ok ${i}`)).statusCode, 201);
  const limited = await publish(t.token, 'one too many');
  assert.equal(limited.statusCode, 429);
  assert.match(limited.json().message, /Too many changes in a minute from this user/);
  assert.ok(Number(limited.headers['retry-after']) > 0);
  assert.equal((await publish(colleagueToken, 'from the same address, another token')).statusCode, 201);
  assert.equal(await t.database.collection('changes').countDocuments({ 'post.body': 'one too many' }), 0);
});

test('reading is never rate-limited', async () => {
  for (let i = 0; i < 20; i++) assert.equal((await t.app.inject(`/api/streams/${t.slug}/posts`)).statusCode, 200);
});

test('repeated failed log-ins slow down that name from that address only, with a clear message', async () => {
  const guesser = new Browser(t.app);
  for (let i = 0; i < 5; i++) assert.equal((await guesser.logIn('reporter', `guess ${i}`)).statusCode, 401);
  const locked = await guesser.logIn('reporter', AUTHOR_PASSWORD);
  assert.equal(locked.statusCode, 429, 'even the right password waits while locked');
  assert.match(locked.body, /Too many failed log-ins for this name from your address; try again in \d+ seconds/);
  assert.ok(Number(locked.headers['retry-after']) >= 1);
  // The same address can still log in as someone else: a venue shares one address.
  assert.equal((await new Browser(t.app).logIn('colleague', 'colleague password')).statusCode, 303);
});

test('the throttle locks longer after each further failure and forgets after a success', () => {
  const throttle = new LoginThrottle();
  const now = 1_000_000;
  for (let i = 0; i < 5; i++) throttle.failed('10.0.0.1', 'Ada', now);
  assert.match(throttle.check('10.0.0.1', 'ada', false, now + 1000)?.message ?? '', /try again in 29 seconds/);
  assert.equal(throttle.check('10.0.0.2', 'ada', false, now + 1000), null, 'another address');
  assert.equal(throttle.check('10.0.0.1', 'bob', false, now + 1000), null, 'another name');
  assert.equal(throttle.check('10.0.0.1', 'ada', false, now + 31_000), null, 'the lock expires');
  assert.ok(throttle.check('10.0.0.1', 'ada', false, now + 31_000), 'one guess at a time after a lock');
  throttle.failed('10.0.0.1', 'ada', now + 31_000);
  assert.equal(throttle.check('10.0.0.1', 'ada', false, now + 32_000)?.retryAfterSeconds, 59);
  throttle.succeeded('10.0.0.1', 'ada');
  assert.equal(throttle.check('10.0.0.1', 'ada', false, now + 32_000), null);
});

test('sessions: HttpOnly, SameSite=Lax cookies; Secure and __Host- prefixed when served over https', async () => {
  const plain = new Browser(t.app);
  // "colleague": "reporter" is locked out by the throttle test above.
  const login = await plain.logIn('colleague', 'colleague password');
  assert.equal(login.statusCode, 303);
  const cookies = [login.headers['set-cookie']].flat().map(String);
  assert.ok(cookies.some((c) => c.startsWith('livelog_session=')));
  for (const cookie of cookies) {
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Lax/);
  }

  // Behind a TLS-terminating proxy, which Livelog believes only when told to.
  const secure = await testApp({ LIVELOG_PUBLIC_URL: 'https://live.example.org', LIVELOG_TRUST_PROXY: '127.0.0.1' });
  try {
    const https = { 'x-forwarded-proto': 'https' };
    const form = await secure.app.inject({ url: '/login', headers: https });
    const csrfCookie = String(form.headers['set-cookie']);
    assert.match(csrfCookie, /^__Host-livelog_csrf=/);
    const login = await secure.app.inject({
      method: 'POST',
      url: '/login',
      headers: { ...https, 'content-type': 'application/x-www-form-urlencoded' },
      cookies: { '__Host-livelog_csrf': form.cookies[0]!.value },
      payload: new URLSearchParams({ _csrf: Browser.field(form.body, '_csrf'), name: 'reporter', password: AUTHOR_PASSWORD }).toString(),
    });
    assert.equal(login.statusCode, 303);
    const cookies = [csrfCookie, ...[login.headers['set-cookie']].flat().map(String)];
    assert.ok(cookies.some((c) => c.startsWith('__Host-livelog_session=')));
    for (const cookie of cookies) {
      assert.match(cookie, /^__Host-/);
      assert.match(cookie, /; Secure/);
      assert.match(cookie, /Path=\//);
      assert.doesNotMatch(cookie, /Domain=/);
    }
  } finally {
    await secure.close();
  }
});

test('logging in gives a new session id; logging out ends the session', async () => {
  const browser = new Browser(t.app);
  const sessionCookie = (response: { cookies: unknown[] }) =>
    (response.cookies as { name: string; value: string }[]).find((c) => c.name === 'livelog_session')?.value;
  const before = sessionCookie(await browser.logIn('colleague', 'colleague password'));
  assert.ok(before);
  const login = await browser.logIn('colleague', 'colleague password');
  assert.equal(login.statusCode, 303);
  assert.notEqual(sessionCookie(login), before, 'the session id changes at each login');
  const home = await browser.request('GET', '/');
  assert.match(home.body, /Signed in as/);
  const csrf = Browser.field(home.body, '_csrf');
  assert.equal((await browser.request('POST', '/logout', { _csrf: csrf })).statusCode, 303);
  assert.doesNotMatch((await browser.request('GET', '/')).body, /Signed in as/);
});
