import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { buildApp } from '../server/app.ts';
import { loadConfig } from '../server/config.ts';
import { Users } from '../server/auth/users.ts';
import { Tokens } from '../server/auth/tokens.ts';
import { addAuthor, databaseUrl, testApp, type TestApp } from './helpers.ts';
import { Browser, csrfFor } from './browser.ts';

// An attacker's view of identity and trust: forwarded headers are believed only from trusted
// proxies, the log says who really asked, one user has one change budget, and an idempotency key
// cannot be squatted. Bytes on the wire are in request-bounds.test.ts, leaks in leaks.test.ts.

const COLLEAGUE_PASSWORD = 'colleague horse battery staple';

let t: TestApp;
before(async () => {
  t = await testApp();
});
after(() => t.close());

test('X-Forwarded-For from a client is ignored: changing it does not get around the login throttle', async () => {
  const guesser = new Browser(t.app);
  const attempt = async (i: number) => {
    const from = { remoteAddress: '198.51.100.7', headers: { 'x-forwarded-for': `203.0.113.${i}` } };
    const page = await guesser.request('GET', '/login', undefined, from);
    const form = { _csrf: Browser.field(page.body, '_csrf'), name: 'reporter', password: `guess ${i}` };
    return guesser.request('POST', '/login', form, from);
  };
  for (let i = 0; i < 5; i++) assert.equal((await attempt(i)).statusCode, 401);
  assert.equal((await attempt(99)).statusCode, 429, 'the same client, whatever it says it forwards for');
});

/** An app whose log lines the test can read, to see which address and request id it believed. */
async function appWithLog(env: Record<string, string>) {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  const config = loadConfig({ MONGODB_URL: databaseUrl(), LIVELOG_DB: t.database.db.databaseName, LOG_LEVEL: 'info', ...env });
  const app = await buildApp({ config, database: t.database, logger: pino({ level: 'info' }, sink) });
  await app.ready();
  return { app, lines };
}

test('an upload the client abandons half-way is logged as the client going away, not as a server error', async () => {
  const logged = await appWithLog({});
  try {
    await logged.app.listen({ port: 0, host: '127.0.0.1' });
    const port = (logged.app.server.address() as { port: number }).port;
    const socket = connect({ host: '127.0.0.1', port });
    await new Promise((resolve) => socket.once('connect', resolve));
    const boundary = 'c'.repeat(16);
    socket.write(`POST /api/streams/${t.slug}/posts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${t.token}\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: 5000000\r\n\r\n`);
    socket.write(`--${boundary}\r\nContent-Disposition: form-data; name="photo"; filename="a.jpg"\r\n\r\n`);
    socket.write(Buffer.alloc(100_000, 1));
    await sleep(300);
    socket.destroy();
    await sleep(500);
    assert.deepEqual(logged.lines.filter((l) => Number(l.level) >= 50), [], 'no error-level lines');
    assert.ok(logged.lines.some((l) => l.msg === 'client went away'));
  } finally {
    await logged.app.close();
  }
});

test('request ids and client addresses come from the connection, unless it is a trusted proxy', async () => {
  const untrusting = await appWithLog({});
  try {
    await untrusting.app.inject({ url: '/nowhere?x=1', remoteAddress: '198.51.100.7', headers: { 'x-request-id': 'forged-id', 'x-forwarded-for': '203.0.113.1' } });
    const line = untrusting.lines.find((l) => (l.req as { url?: string } | undefined)?.url === '/nowhere?x=1');
    assert.ok(line, 'the request was logged');
    assert.notEqual(line.reqId, 'forged-id');
    assert.equal((line.req as { remoteAddress: string }).remoteAddress, '198.51.100.7');
  } finally {
    await untrusting.app.close();
  }
  const behindProxy = await appWithLog({ LIVELOG_TRUST_PROXY: '198.51.100.0/24' });
  try {
    await behindProxy.app.inject({ url: '/nowhere?x=2', remoteAddress: '198.51.100.7', headers: { 'x-request-id': 'proxy-id-1', 'x-forwarded-for': '203.0.113.1' } });
    const line = behindProxy.lines.find((l) => (l.req as { url?: string } | undefined)?.url === '/nowhere?x=2');
    assert.ok(line, 'the request was logged');
    assert.equal(line.reqId, 'proxy-id-1');
    assert.equal((line.req as { remoteAddress: string }).remoteAddress, '203.0.113.1');
  } finally {
    await behindProxy.app.close();
  }
});

test('one change budget per user: shared by every route and every token of theirs; another user is unaffected', async (context) => {
  const budgeted = await testApp({ LIVELOG_CHANGES_PER_MINUTE: '6' });
  context.after(() => budgeted.close());
  await budgeted.app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(budgeted.app.server.address() as { port: number }).port}`;
  const t = budgeted;
  const users = new Users(t.database);
  const tokens = new Tokens(t.database);
  const busy = await users.add('busy', COLLEAGUE_PASSWORD);
  const other = await users.add('other', COLLEAGUE_PASSWORD);
  await addAuthor(t.app, t.slug, busy);
  await addAuthor(t.app, t.slug, other);
  const [first, second, otherToken] = await Promise.all([tokens.create(busy, 'one'), tokens.create(busy, 'two'), tokens.create(other, 'x')]);
  const api = (token: string, method: string, url: string, payload?: object) =>
    fetch(`${base}/api/streams/${t.slug}${url}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(payload ? { 'content-type': 'application/json' } : {}) },
      body: payload ? JSON.stringify(payload) : undefined,
    });
  const post = await (await api(first, 'POST', '/posts', { body: 'one' })).json();
  assert.equal((await api(second, 'PATCH', `/posts/${post.id}`, { body: 'two' })).status, 200);
  assert.equal((await api(first, 'PATCH', `/posts/${post.id}`, { pinned: true })).status, 200);
  assert.equal((await api(second, 'PUT', '/status', { status: 'ended' })).status, 200);
  assert.equal((await api(first, 'PUT', '/status', { status: 'live' })).status, 200);
  assert.equal((await api(second, 'POST', '/posts', { body: 'six' })).status, 201);
  // Six changes spent: every route and both tokens are refused now, before reading a body.
  for (const [token, method, url, payload] of [
    [first, 'POST', '/posts', { body: 'seven' }],
    [second, 'PATCH', `/posts/${post.id}`, { body: 'seven' }],
    [first, 'DELETE', `/posts/${post.id}`, undefined],
    [second, 'PUT', '/status', { status: 'ended' }],
  ] as const) {
    const refused = await api(token, method, url, payload);
    assert.equal(refused.status, 429, `${method} ${url}`);
    assert.equal((await refused.json()).code, 'LIVELOG_RATE_LIMITED');
    assert.ok(Number(refused.headers.get('retry-after')) > 0);
  }
  // The same user on the page's form shares the budget too.
  const browser = new Browser(t.app);
  assert.equal((await browser.logIn('busy', COLLEAGUE_PASSWORD)).statusCode, 303);
  const form = await browser.request('POST', `/s/${t.slug}/posts`, { _csrf: await csrfFor(browser, true), body: 'from the page', key: 'page-key-0001' });
  assert.equal(form.statusCode, 429, `${form.statusCode} ${form.headers.location ?? ''} ${form.body.slice(0, 200)}`);
  assert.equal((await api(otherToken, 'POST', '/posts', { body: 'someone else' })).status, 201);

  // An admin's membership changes on /admin spend from the same budget as their API changes.
  const chief = await users.add('chief', COLLEAGUE_PASSWORD, true);
  const chiefToken = await tokens.create(chief, 'chief');
  for (let i = 0; i < 6; i++) assert.equal((await api(chiefToken, 'POST', '/posts', { body: `chief ${i}` })).status, 201);
  const admin = new Browser(t.app);
  assert.equal((await admin.logIn('chief', COLLEAGUE_PASSWORD)).statusCode, 303);
  const adminPage = await admin.request('GET', '/admin');
  const membership = await admin.request('POST', `/admin/streams/${t.slug}/authors`, { _csrf: Browser.field(adminPage.body, '_csrf'), name: 'other', action: 'remove' });
  assert.equal(membership.statusCode, 429);
});

test('an idempotency key belongs to its sender: another author using it first neither blocks nor takes over the change', async () => {
  const users = new Users(t.database);
  const tokens = new Tokens(t.database);
  const squatter = await users.add('squatter', COLLEAGUE_PASSWORD);
  await addAuthor(t.app, t.slug, squatter);
  const squatterToken = await tokens.create(squatter, 's');
  const publish = (token: string, body: string) =>
    t.app.inject({ method: 'POST', url: `/api/streams/${t.slug}/posts`, headers: { authorization: `Bearer ${token}`, 'idempotency-key': 'shared-key-0001' }, payload: { body } });
  const squatted = await publish(squatterToken, 'got there first');
  assert.equal(squatted.statusCode, 201);
  const mine = await publish(t.token, 'the real post');
  assert.equal(mine.statusCode, 201, mine.body);
  assert.notEqual(mine.json().id, squatted.json().id);
  const retried = await publish(t.token, 'the real post');
  assert.equal(retried.json().id, mine.json().id, 'a retry with the same key still publishes once');
  assert.equal(retried.headers['idempotent-replayed'], 'true');
});

