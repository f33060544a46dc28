import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Writable } from 'node:stream';
import pino from 'pino';
import sharp from 'sharp';
import { buildApp } from '../server/app.ts';
import { loadConfig } from '../server/config.ts';
import { Users } from '../server/auth/users.ts';
import { Tokens } from '../server/auth/tokens.ts';
import { addAuthor, AUTHOR_PASSWORD, databaseUrl, testApp, type TestApp } from './helpers.ts';
import { Browser, csrfFor } from './browser.ts';

// An attacker's view of the request pipeline: who is asking is known before a body is read,
// bodies cannot drip forever, forwarded headers are believed only from trusted proxies, one user has
// one change budget, and nothing internal leaks. Each test runs against a real listening server.

const COLLEAGUE_PASSWORD = 'colleague horse battery staple';

let t: TestApp;
let base: string;
let port: number;
before(async () => {
  t = await testApp({
    LIVELOG_MAX_UPLOADS: '1',
    LIVELOG_REQUEST_TIMEOUT_MS: '1500',
    LIVELOG_HEADERS_TIMEOUT_MS: '1000',
  });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  port = (t.app.server.address() as { port: number }).port;
  base = `http://127.0.0.1:${port}`;
});
after(() => t.close());

/** A raw connection, to send exactly what an attacker would and see what the server does. */
function rawConnection(): Promise<{ socket: Socket; received: () => string; closed: Promise<number> }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let data = '';
    const opened = Date.now();
    const closed = new Promise<number>((done) => socket.on('close', () => done(Date.now() - opened)));
    socket.on('data', (chunk) => (data += chunk.toString('latin1')));
    socket.on('error', () => {}); // a reset is one of the answers we expect
    socket.once('connect', () => resolve({ socket, received: () => data, closed }));
    socket.once('error', reject);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('an upload with a bad token is refused before its body is read, and the connection is closed', async () => {
  const boundary = 'x'.repeat(20);
  const declared = 40 * 1024 * 1024;
  const head =
    `POST /api/streams/${t.slug}/posts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer livelog_not-a-real-token\r\n` +
    `Content-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${declared}\r\n\r\n`;
  const chunk = Buffer.alloc(64 * 1024, 0x41);

  // A client that pauses after its first megabyte has its answer, and the connection ends.
  const polite = await rawConnection();
  polite.socket.write(head);
  for (let i = 0; i < 16; i++) polite.socket.write(chunk);
  await polite.closed;
  assert.match(polite.received(), /^HTTP\/1\.1 401 /);
  assert.match(polite.received(), /LIVELOG_UNAUTHORIZED/);
  assert.match(polite.received(), /connection: close/i);

  // One that keeps pushing is cut off long before its 40 MB are in.
  const pushy = await rawConnection();
  pushy.socket.write(head);
  let sent = 0;
  while (!pushy.socket.destroyed && sent < declared) {
    if (!pushy.socket.write(chunk)) await new Promise((r) => pushy.socket.once('drain', r).once('close', r));
    sent += chunk.length;
  }
  await pushy.closed;
  assert.ok(sent < 8 * 1024 * 1024, `the server hung up after ${(sent / 1048576).toFixed(1)} MB`);
});

test('multipart bodies are refused unread on every route that takes no photos, before any check that would read them', async () => {
  const boundary = 'b'.repeat(16);
  for (const [method, url, auth] of [
    ['POST', '/login', ''],
    ['POST', '/admin/users', ''],
    ['PATCH', `/api/streams/${t.slug}/posts/${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}`, `Authorization: Bearer ${t.token}\r\n`],
    ['POST', `/s/${t.slug}/status`, ''],
  ] as const) {
    const client = await rawConnection();
    client.socket.write(`${method} ${url} HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${20 * 1024 * 1024}\r\n\r\n`);
    client.socket.write(Buffer.alloc(256 * 1024, 0x42));
    await client.closed;
    assert.match(client.received(), /^HTTP\/1\.1 415 /, `${method} ${url}`);
    assert.match(client.received(), /LIVELOG_PHOTOS_NOT_ACCEPTED/);
  }
});

test('requests Node itself refuses (headers too large, not HTTP) get the usual JSON error with a code', async () => {
  const tooLarge = await rawConnection();
  tooLarge.socket.write(`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(40_000)}\r\n\r\n`);
  await tooLarge.closed;
  assert.match(tooLarge.received(), /^HTTP\/1\.1 431 /);
  assert.equal(JSON.parse(tooLarge.received().split('\r\n\r\n')[1]!).code, 'LIVELOG_HEADERS_TOO_LARGE');
  const garbage = await rawConnection();
  garbage.socket.write('NOT HTTP AT ALL\r\n\r\n');
  await garbage.closed;
  assert.match(garbage.received(), /^HTTP\/1\.1 400 /);
  assert.equal(JSON.parse(garbage.received().split('\r\n\r\n')[1]!).code, 'LIVELOG_BAD_REQUEST');
});

test('a body that drips in a byte at a time is cut by the request timeout', async () => {
  const { socket, received, closed } = await rawConnection();
  socket.write(`POST /api/streams/${t.slug}/posts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${t.token}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"body":"`);
  const drip = setInterval(() => !socket.destroyed && socket.write('a'), 100);
  const lasted = await closed;
  clearInterval(drip);
  assert.ok(lasted < 4000, `cut after ${lasted} ms`);
  assert.match(received(), /^HTTP\/1\.1 408 |^$/, 'a 408, or just a closed connection');
});

test('headers that drip in are cut too', async () => {
  const { socket, closed } = await rawConnection();
  socket.write('GET / HTTP/1.1\r\nHost: x\r\n');
  const drip = setInterval(() => !socket.destroyed && socket.write('X-A: b\r\n'), 100);
  const lasted = await closed;
  clearInterval(drip);
  assert.ok(lasted < 4000, `cut after ${lasted} ms`);
});

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

function multipart(parts: { name: string; filename?: string; bytes: Buffer | string }[]) {
  const boundary = `----livelog${Date.now()}`;
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const disposition = `form-data; name="${part.name}"${part.filename ? `; filename="${part.filename}"` : ''}`;
    const type = part.filename ? 'Content-Type: application/octet-stream\r\n' : '';
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n${type}\r\n`), Buffer.from(part.bytes), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

test('photo uploads: a bounded number at once (503 with Retry-After past it) and a bounded total per request', async () => {
  // One upload holds the only slot: its headers are in, its body is still coming.
  const { socket, closed } = await rawConnection();
  const slow = multipart([{ name: 'photo', filename: 'a.jpg', bytes: Buffer.alloc(1000, 1) }]);
  socket.write(`POST /api/streams/${t.slug}/posts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${t.token}\r\nContent-Type: ${slow.contentType}\r\nContent-Length: ${slow.body.length}\r\n\r\n`);
  socket.write(slow.body.subarray(0, 100));
  await sleep(200);
  const form = multipart([{ name: 'body', bytes: 'second' }]);
  const busy = await fetch(`${base}/api/streams/${t.slug}/posts`, { method: 'POST', headers: { authorization: `Bearer ${t.token}`, 'content-type': form.contentType }, body: form.body });
  assert.equal(busy.status, 503);
  assert.equal((await busy.json()).code, 'LIVELOG_UPLOADS_BUSY');
  assert.ok(Number(busy.headers.get('retry-after')) > 0);
  socket.destroy();
  await closed;
  await sleep(100);
  // The slot is back once the first client is gone. Three 9 MB files pass each file's bound but
  // not the request's: refused with 413 before any of them is decoded.
  const big = multipart([0, 1, 2].map((i) => ({ name: 'photo', filename: `${i}.jpg`, bytes: Buffer.alloc(9 * 1024 * 1024, i) })));
  const tooMuch = await fetch(`${base}/api/streams/${t.slug}/posts`, { method: 'POST', headers: { authorization: `Bearer ${t.token}`, 'content-type': big.contentType }, body: big.body }).catch((error: Error) => error);
  if (tooMuch instanceof Error) assert.fail(`the request failed instead of a 413: ${tooMuch.message}`);
  assert.equal(tooMuch.status, 413);
  assert.equal((await tooMuch.json()).code, 'LIVELOG_UPLOAD_TOO_LARGE');
});

test("a deleted post's photo is gone, unless a live post shows the same photo", async () => {
  const photo = await sharp({ create: { width: 40, height: 30, channels: 3, background: 'red' } }).png().toBuffer();
  const publish = async (body: string) => {
    const form = multipart([{ name: 'body', bytes: body }, { name: 'photo', filename: 'p.png', bytes: photo }]);
    const response = await fetch(`${base}/api/streams/${t.slug}/posts`, { method: 'POST', headers: { authorization: `Bearer ${t.token}`, 'content-type': form.contentType }, body: form.body });
    assert.equal(response.status, 201);
    return (await response.json()).id as string;
  };
  const posts = async () => (await (await fetch(`${base}/api/streams/${t.slug}/posts`)).json()).posts as { id: string; media?: { url: string }[] }[];
  const first = await publish('first with the photo');
  const url = (await posts()).find((p) => p.id === first)!.media![0]!.url;
  assert.equal((await fetch(`${base}${url}`)).status, 200);
  const second = await publish('second with the same photo');
  const remove = (id: string) => fetch(`${base}/api/streams/${t.slug}/posts/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${t.token}` } });
  assert.equal((await remove(first)).status, 200);
  assert.equal((await fetch(`${base}${url}`)).status, 200, 'still shown by the second post');
  assert.equal((await remove(second)).status, 200);
  const gone = await fetch(`${base}${url}`);
  assert.equal(gone.status, 404);
  assert.equal((await gone.json()).code, 'LIVELOG_MEDIA_NOT_FOUND');
});

test('no internal user ids in pages, the public API or the export', async () => {
  const userIds = (await t.database.collection('users').find({}).toArray()).map((u) => String(u._id));
  await t.app.inject({ method: 'POST', url: `/api/streams/${t.slug}/posts`, headers: { authorization: `Bearer ${t.token}` }, payload: { body: 'a post to look at' } });
  const author = new Browser(t.app);
  await author.logIn('reporter', AUTHOR_PASSWORD);
  const pages = [
    (await t.app.inject({ url: `/s/${t.slug}`, headers: { accept: 'text/html' } })).body,
    (await author.request('GET', `/s/${t.slug}`)).body,
    (await t.app.inject(`/api/streams/${t.slug}/posts`)).body,
  ];
  const post = JSON.parse(pages[2]!).posts.find((p: { deleted?: boolean }) => !p.deleted);
  pages.push((await t.app.inject(`/s/${t.slug}/posts/${post.id}`)).body);
  const out = await mkdtemp(path.join(tmpdir(), 'livelog-ids-'));
  try {
    await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/export.ts', t.slug, '--out', out], {
      env: { ...process.env, MONGODB_URL: databaseUrl(), LIVELOG_DB: t.database.db.databaseName },
    });
    for (const file of await readdir(out)) if (/\.(html|xml|json)$/.test(file)) pages.push(await readFile(path.join(out, file), 'utf8'));
  } finally {
    await rm(out, { recursive: true, force: true });
  }
  for (const [i, text] of pages.entries()) for (const id of userIds) assert.ok(!text.includes(id), `document ${i} shows the user id ${id}`);
});

test('no source map is served, and the bundle does not point to one', async () => {
  assert.equal((await fetch(`${base}/assets/live.js.map`)).status, 404);
  assert.doesNotMatch(await (await fetch(`${base}/assets/live.js`)).text(), /sourceMappingURL/);
});

test('error codes say what happened', async () => {
  const scoped = await new Tokens(t.database).create(t.author, 'elsewhere', 'another-stream');
  const cases: [string, () => Promise<Response>, number, string][] = [
    ['no token', () => fetch(`${base}/api/streams/${t.slug}/posts`, { method: 'POST' }), 401, 'LIVELOG_UNAUTHORIZED'],
    ['a token for another stream', () => fetch(`${base}/api/streams/${t.slug}/posts`, { method: 'POST', headers: { authorization: `Bearer ${scoped}` } }), 403, 'LIVELOG_FORBIDDEN'],
    ['no such route', () => fetch(`${base}/nowhere`), 404, 'LIVELOG_NOT_FOUND'],
    ['a bad query', () => fetch(`${base}/s/${t.slug}?before=x`), 400, 'LIVELOG_INVALID_REQUEST'],
  ];
  for (const [name, request, status, code] of cases) {
    const response = await request();
    assert.equal(response.status, status, name);
    assert.equal((await response.json()).code, code, name);
  }
});
