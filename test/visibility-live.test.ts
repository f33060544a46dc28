import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import pino from 'pino';
import WebSocket from 'ws';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../server/app.ts';
import { loadConfig } from '../server/config.ts';
import { Users } from '../server/auth/users.ts';
import { Tokens } from '../server/auth/tokens.ts';
import { AUTHOR_PASSWORD, databaseUrl, testApp, type TestApp } from './helpers.ts';
import { Browser, csrfFor, loggedIn } from './browser.ts';
import { sseViewer } from './viewer.ts';

// A private stream lets go of live viewers it no longer admits, on every instance: the change is in
// the stream's log, and each instance folds it. Instance A takes the admin's changes; the viewers
// watch through instance B (and A).

let t: TestApp;
let other: FastifyInstance;
const bases: string[] = [];
let adminToken: string;
const logLines: string[] = [];

before(async () => {
  const env = { LIVELOG_RELAY: 'mongo', LIVELOG_CATCHUP_MS: '500' };
  t = await testApp(env);
  const config = loadConfig({ MONGODB_URL: databaseUrl(), LIVELOG_DB: t.database.db.databaseName, LOG_LEVEL: 'info', ...env });
  const capture = new Writable({ write: (chunk, _encoding, done) => done(void logLines.push(String(chunk))) });
  other = await buildApp({ config, database: t.database, logger: pino({ level: 'info' }, capture) });
  for (const app of [t.app, other]) {
    await app.listen({ port: 0, host: '127.0.0.1' });
    bases.push(`127.0.0.1:${(app.server.address() as { port: number }).port}`);
  }
  const admin = await new Users(t.database).add('boss', 'admin password', true);
  adminToken = await new Tokens(t.database).create(admin, 'admin');
});
after(async () => {
  await other.close();
  await t.close();
});

/** An admin's API call to instance A. */
const asAdmin = (method: 'PUT' | 'POST' | 'DELETE', path: string, payload?: object) =>
  t.app.inject({ method, url: `/api/streams/${t.slug}${path}`, headers: { authorization: `Bearer ${adminToken}` }, payload });

const cookieHeader = (browser: Browser) =>
  Object.entries(browser.cookieJar())
    .map(([name, value]) => `${name}=${value}`)
    .join('; ');

/** A websocket viewer that records its hello and its close code. */
async function watch(base: string, cookie: string) {
  const socket = new WebSocket(`ws://${base}/s/${t.slug}/live?since=0`, { headers: { cookie } });
  const state = { hello: false, closed: undefined as number | undefined };
  socket.on('message', (data) => {
    if (JSON.parse(String(data)).t === 'hello') state.hello = true;
  });
  socket.on('close', (code) => (state.closed = code));
  socket.on('error', () => {});
  const deadline = Date.now() + 5000;
  while (!state.hello && state.closed === undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  return { state, close: () => socket.close() };
}

async function until(condition: () => boolean, what: string, ms = 3000): Promise<number> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > ms) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return Date.now() - started;
}

test('revoking the links closes their viewers’ websockets and event streams on every instance; members stay', async (context) => {
  assert.equal((await asAdmin('PUT', '/visibility', { visibility: 'private' })).statusCode, 200);
  const made = await asAdmin('POST', '/viewer-links');
  assert.equal(made.statusCode, 201);
  const link = new URL(made.json().url);
  assert.match(link.search, /^\?key=[A-Za-z0-9_-]{43}$/);

  // The link's holder opens it on instance B: a cookie for this stream, and the key out of the address.
  const holder = new Browser(other);
  const opened = await holder.request('GET', `${link.pathname}${link.search}`);
  assert.equal(opened.statusCode, 303);
  assert.equal(opened.headers.location, `/s/${t.slug}`);
  assert.ok(logLines.some((line) => line.includes('[redacted]')), 'the request was logged');
  assert.ok(!logLines.some((line) => line.includes(link.searchParams.get('key')!)), 'its key was not');
  const watched = await holder.request('GET', `/s/${t.slug}`);
  assert.equal(watched.statusCode, 200);
  assert.equal(watched.headers['referrer-policy'], 'no-referrer', 'no page passes its address on');
  const cookie = String(opened.headers['set-cookie']);
  for (const part of [`livelog_view_${t.slug}=`, `Path=/s/${t.slug};`, 'HttpOnly', 'SameSite=Lax']) assert.ok(cookie.includes(part), `${part} in ${cookie}`);

  const member = await loggedIn(t.app, 'reporter', AUTHOR_PASSWORD);
  const onB = await watch(bases[1]!, cookieHeader(holder));
  const memberOnB = await watch(bases[1]!, cookieHeader(member));
  const sseOnA = await sseViewer(bases[0]!, t.slug, { since: '0' });
  assert.equal(sseOnA.response.status, 404, 'no cookie, no key: as if there were no stream');
  const keyedSse = await fetch(`http://${bases[0]}/s/${t.slug}/events?since=0&key=${link.searchParams.get('key')}`);
  assert.equal(keyedSse.status, 200);
  const sseClosed = keyedSse.body!.pipeTo(new WritableStream()).then(
    () => true,
    () => true,
  );
  assert.ok(onB.state.hello && memberOnB.state.hello, 'both admitted');

  assert.equal((await asAdmin('DELETE', '/viewer-links')).statusCode, 200);
  const cutAfter = await until(() => onB.state.closed !== undefined, 'the link holder’s websocket on B closes');
  assert.ok(await Promise.race([sseClosed, new Promise((r) => setTimeout(() => r(false), 3000))]), 'the event stream on A ends');
  assert.equal(memberOnB.state.closed, undefined, 'the member still watches');
  context.diagnostic(`the link holder's websocket on the other instance closed ${cutAfter} ms after the revoke was answered`);

  // Reconnecting gets what a stream that does not exist gets.
  const again = await watch(bases[1]!, cookieHeader(holder));
  assert.equal(again.state.closed, 4404);
  assert.equal((await holder.request('GET', `/s/${t.slug}`)).statusCode, 404);
  memberOnB.close();
});

test('removing a member closes their live connection; making the stream public again lets anyone watch', async () => {
  const member = await loggedIn(t.app, 'reporter', AUTHOR_PASSWORD);
  const memberOnB = await watch(bases[1]!, cookieHeader(member));
  assert.ok(memberOnB.state.hello);
  const admin = await loggedIn(t.app, 'boss', 'admin password');
  const removed = await admin.request('POST', `/admin/streams/${t.slug}/authors`, { _csrf: await csrfFor(admin, true), name: 'reporter', action: 'remove' });
  assert.equal(removed.statusCode, 303);
  await until(() => memberOnB.state.closed !== undefined, 'the removed member’s websocket on B closes');
  assert.equal((await member.request('GET', `/s/${t.slug}`)).statusCode, 404);

  assert.equal((await asAdmin('PUT', '/visibility', { visibility: 'public' })).statusCode, 200);
  // B learns it when it next reads the stream's log (within LIVELOG_CATCHUP_MS).
  const started = Date.now();
  let anyone = await watch(bases[1]!, '');
  while (!anyone.state.hello && Date.now() - started < 3000) anyone = await watch(bases[1]!, '');
  assert.ok(anyone.state.hello, 'anyone watches on B');
  anyone.close();
});

test('the admin page shows a stream’s history from its log: who did what, when, newest first, a page at a time', async () => {
  const admin = await loggedIn(t.app, 'boss', 'admin password');
  const page = await admin.request('GET', `/admin/streams/${t.slug}/history`);
  assert.equal(page.statusCode, 200);
  const rows = [...page.body.matchAll(/<tr data-seq="(\d+)">[\s\S]*?<td>([^<]*)<\/td>\s*<td>(?:<a [^>]*>)?([^<]*)/g)].map(([, seq, who, what]) => `${seq} ${who}: ${what}`);
  assert.deepEqual(rows, [
    '6 boss: made the stream public',
    '5 boss: removed reporter from the authors',
    '4 boss: revoked every viewer link',
    '3 boss: made a viewer link',
    '2 boss: made the stream private',
    '1 test admin: added reporter as an author',
  ]);
  const older = await admin.request('GET', `/admin/streams/${t.slug}/history?before=3`);
  assert.deepEqual([...older.body.matchAll(/data-seq="(\d+)"/g)].map((m) => m[1]), ['2', '1']);
  assert.equal((await (await loggedIn(t.app, 'reporter', AUTHOR_PASSWORD)).request('GET', `/admin/streams/${t.slug}/history`)).statusCode, 403);
});

test('making a stream private lets go of the viewers it does not admit, and only those', async () => {
  const admin = await loggedIn(t.app, 'boss', 'admin password');
  const added = await admin.request('POST', `/admin/streams/${t.slug}/authors`, { _csrf: await csrfFor(admin, true), name: 'reporter', action: 'add' });
  assert.equal(added.statusCode, 303);
  const member = await loggedIn(t.app, 'reporter', AUTHOR_PASSWORD);
  const [anyone, memberOnB] = [await watch(bases[1]!, ''), await watch(bases[1]!, cookieHeader(member))];
  assert.ok(anyone.state.hello && memberOnB.state.hello);
  assert.equal((await asAdmin('PUT', '/visibility', { visibility: 'private' })).statusCode, 200);
  await until(() => anyone.state.closed !== undefined, 'the anonymous viewer on B is let go');
  assert.equal(memberOnB.state.closed, undefined, 'the author keeps watching');
  memberOnB.close();
});

const withoutPublicUrl = ({ LIVELOG_PUBLIC_URL: _, ...env }: NodeJS.ProcessEnv) => env;

test('the command line makes a private stream, prints a viewer link and revokes it; a running server follows', async () => {
  const cli = (...args: string[]) =>
    promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/livelog.ts', ...args], {
      // Without LIVELOG_PUBLIC_URL the link is printed as a path.
      env: { ...withoutPublicUrl(process.env), LIVELOG_DB: t.database.db.databaseName },
    }).then(
      (result) => ({ code: 0, ...result }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
  const wrong = await cli('stream', 'create', 'all-hands', '--title', 'All hands', '--visibility', 'secret');
  assert.equal(wrong.code, 2, wrong.stderr);
  assert.match(wrong.stderr, /public, unlisted or private/);
  assert.match((await cli('stream', 'create', 'all-hands', '--title', 'All hands', '--visibility', 'private')).stdout, /private stream "all-hands" created/);
  assert.equal((await new Browser(other).request('GET', '/s/all-hands')).statusCode, 404);
  const printed = (await cli('stream', 'viewer-link', 'all-hands')).stdout.trim();
  assert.match(printed, /^\/s\/all-hands\?key=[A-Za-z0-9_-]{43}$/);
  const holder = new Browser(other);
  assert.equal((await holder.request('GET', printed)).statusCode, 303);
  const socket = new WebSocket(`ws://${bases[1]}/s/all-hands/live?since=0`, { headers: { cookie: cookieHeader(holder) } });
  const closed = new Promise<number>((resolve) => socket.on('close', resolve));
  await new Promise((resolve) => socket.once('message', resolve));
  assert.match((await cli('stream', 'revoke-links', 'all-hands')).stdout, /revoked/);
  // No doorbell from the command line: the server's catch-up finds the change in the log.
  assert.notEqual(await closed, 4404);
  assert.equal((await holder.request('GET', '/s/all-hands')).statusCode, 404);
});
