import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { websocketViewer } from './viewer.ts';
import { type ServerProcess, startServerProcess } from './fixtures/server-process.ts';
import { isAlive } from '../server/db/embedded/running-record.ts';

// The server as people run it, on its own embedded FerretDB, when FerretDB dies under it: Livelog
// brings it back by itself, viewers keep reading from memory meanwhile, and authors get a 503
// they can retry without publishing twice.

let dataDir: string;
let server: ServerProcess;
let token: string;

const env = (): NodeJS.ProcessEnv => {
  const e: NodeJS.ProcessEnv = { ...process.env, LIVELOG_DATA: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', LIVELOG_CHANGES_PER_MINUTE: '100000' };
  delete e.MONGODB_URL;
  return e;
};

const startServer = () => startServerProcess({ env: env(), captureLog: true });

const ferretdbPid = async (): Promise<number> => JSON.parse(await readFile(path.join(dataDir, 'ferretdb.json'), 'utf8')).ferretdbPid;

const publish = (body: string, key: string) =>
  fetch(`http://${server.address}/api/streams/welcome/posts`, {
    signal: AbortSignal.timeout(15_000),
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'idempotency-key': key, 'content-type': 'application/json' },
    body: JSON.stringify({ body }),
  });

const ready = async () => (await fetch(`http://${server.address}/readyz`, { signal: AbortSignal.timeout(10_000) })).status;

/** Polls /readyz until 200; returns how long that took. */
async function untilReady(ms: number): Promise<number> {
  const started = Date.now();
  while ((await ready()) !== 200) {
    if (Date.now() - started > ms) assert.fail(`/readyz not back to 200 within ${ms} ms; log:\n${ferretdbLog()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return Date.now() - started;
}

/** The server's log lines about FerretDB, for assertions and failure messages. */
const ferretdbLog = () =>
  server
    .log()
    .split('\n')
    .filter((line) => line.includes('"component":"ferretdb"'))
    .join('\n');

before(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'livelog-heals-'));
});
after(async () => {
  // A failed test must not leave its server holding the test process open.
  if (server && server.child.exitCode === null && server.child.signalCode === null) {
    server.child.kill('SIGKILL');
    await new Promise((resolve) => server.child.once('exit', resolve));
  }
  await rm(dataDir, { recursive: true, force: true });
});

/** Waits for a condition, failing with `what` (and the FerretDB log) after `ms`. */
async function until(condition: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail(`${what} within ${ms} ms; log:\n${ferretdbLog()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function startSharedServer(): Promise<void> {
  server = await startServer();
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/livelog.ts', 'token', 'create', 'admin'], { env: env(), timeout: 30_000 });
  token = stdout.trim();
}

test('after a kill -9 of the embedded database, /readyz is back to 200 within seconds by itself', { timeout: 120_000 }, async (t) => {
  // A fresh server each time: kills within a minute of each other are a crash loop, restarted
  // ever more slowly on purpose.
  const timings: number[] = [];
  for (let i = 0; i < 3; i++) {
    const own = await startServer();
    const killed = await ferretdbPid();
    process.kill(killed, 'SIGKILL');
    const started = Date.now();
    // A readiness probe waits up to 2 s for the database, so the first 200 is when it is back.
    const readyz = async () => (await fetch(`http://${own.address}/readyz`, { signal: AbortSignal.timeout(10_000) })).status;
    while ((await readyz()) !== 200 || (await ferretdbPid()) === killed) {
      assert.ok(Date.now() - started < 5000, `not ready again after ${Date.now() - started} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
    timings.push(Date.now() - started);
    const healed = await ferretdbPid();
    assert.notEqual(healed, killed);
    assert.ok(isAlive(healed));
    assert.equal(await own.stop(), 0);
    assert.equal(isAlive(healed), false);
  }
  t.diagnostic(`kill -9 to /readyz 200, ms: ${timings.join(', ')}; median ${[...timings].sort((a, b) => a - b)[1]}`);
});

test('while the embedded database is down and cannot come back, viewers are served from memory, authors get a 503 to retry, and a retry after it heals publishes exactly once', { timeout: 90_000 }, async () => {
  await startSharedServer();
  assert.equal((await publish('before the crash', 'heal-key-0')).status, 201);
  const page = await fetch(`http://${server.address}/s/welcome`, { headers: { accept: 'text/html' }, signal: AbortSignal.timeout(15_000) });
  assert.equal(page.status, 200);
  // A signed-in author reading the stream carries a session cookie; its lookup needs the database.
  const password = 'heals viewer battery staple';
  await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/livelog.ts', 'user', 'add', 'reader', '--password', password], { env: env(), timeout: 30_000 });
  const form = await fetch(`http://${server.address}/login`, { headers: { accept: 'text/html' }, signal: AbortSignal.timeout(15_000) });
  const csrfCookie = form.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const csrfToken = /name="_csrf" value="([^"]*)"/.exec(await form.text())![1]!;
  const login = await fetch(`http://${server.address}/login`, {
    method: 'POST',
    redirect: 'manual',
    signal: AbortSignal.timeout(15_000),
    headers: { cookie: csrfCookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: csrfToken, name: 'reader', password }).toString(),
  });
  assert.equal(login.status, 303);
  const cookie = login.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  assert.match(cookie, /livelog_session=/);
  const connected = await websocketViewer(server.address, 'welcome', '');
  await connected.waitFor((frames) => frames.some((f) => f.t === 'hello'));

  const killed = await ferretdbPid();
  process.kill(killed, 'SIGKILL');
  // A folder where the socket belongs keeps every restart failing, as a fault that lasts would.
  const socketPath = path.join(dataDir, 'db.sock');
  await rm(socketPath, { force: true });
  await mkdir(socketPath);

  const refused = await publish('during the outage', 'heal-key-1');
  assert.equal(refused.status, 503, `${await refused.clone().text()}\n${server.log().split('\n').filter((l) => l.includes('"level":50')).join('\n')}`);
  assert.equal(refused.headers.get('retry-after'), '5');
  assert.equal((await refused.json()).code, 'LIVELOG_DATABASE_UNAVAILABLE');
  assert.equal(await ready(), 503);

  for (const headers of [{ accept: 'text/html' }, { accept: 'text/html', cookie }] as Record<string, string>[]) {
    const during = await fetch(`http://${server.address}/s/welcome`, { headers, signal: AbortSignal.timeout(15_000) });
    assert.equal(during.status, 200, `stream page with ${JSON.stringify(headers)}`);
    assert.match(await during.text(), /before the crash/);
  }
  const posts = await fetch(`http://${server.address}/api/streams/welcome/posts?since=0`, { signal: AbortSignal.timeout(15_000) });
  assert.equal(posts.status, 200);
  assert.deepEqual((await posts.json()).posts.map((p: { body: string }) => p.body), ['before the crash']);
  const arriving = await websocketViewer(server.address, 'welcome', '');
  await arriving.waitFor((frames) => frames.some((f) => f.t === 'post'));

  // It keeps trying, with growing pauses, and the server stays up.
  await until(() => /"attempt":3,.*"msg":"restarting the embedded database failed"/.test(ferretdbLog()), 20_000, 'no third failed attempt');
  assert.equal(server.child.exitCode, null);
  assert.equal(await ready(), 503);
  assert.match(ferretdbLog(), /"signal":"SIGKILL".*"msg":"embedded database exited; restarting it"/);

  await rm(socketPath, { recursive: true });
  await untilReady(20_000);
  // The server's own client may reconnect a moment before the restarter has logged its success.
  await until(() => ferretdbLog().includes('"msg":"embedded database restarted"'), 5000, 'no restart logged');
  const healed = await ferretdbPid();
  assert.notEqual(healed, killed);
  assert.ok(isAlive(healed));

  const retried = await publish('during the outage', 'heal-key-1');
  assert.equal(retried.status, 201);
  const again = await publish('during the outage', 'heal-key-1');
  assert.equal((await again.json()).id, (await retried.json()).id);
  const { posts: after } = await (await fetch(`http://${server.address}/api/streams/welcome/posts?since=0`, { signal: AbortSignal.timeout(15_000) })).json();
  assert.deepEqual(after.map((p: { body: string }) => p.body).sort(), ['before the crash', 'during the outage']);
  for (const viewer of [connected, arriving]) {
    await viewer.waitFor((frames) => frames.filter((f) => f.t === 'post').length === 2);
    viewer.close();
  }
});

test('a clean shutdown that reaches FerretDB too (Ctrl-C, a whole-group stop) stops both, and FerretDB is not restarted', { timeout: 60_000 }, async () => {
  const pid = await ferretdbPid();
  const exited = new Promise<number | null>((resolve) => server.child.once('exit', (code) => resolve(code)));
  process.kill(pid, 'SIGTERM');
  server.child.kill('SIGTERM');
  assert.equal(await exited, 0);
  assert.equal(isAlive(pid), false);
  const restarts = ferretdbLog().split('\n').filter((line) => line.includes('"msg":"embedded database restarted"')).length;
  assert.equal(restarts, 1, 'only the restart of the outage test before');
  assert.equal(existsSync(path.join(dataDir, 'ferretdb.json')), false);
  assert.equal(existsSync(path.join(dataDir, 'db.sock')), false);
});
