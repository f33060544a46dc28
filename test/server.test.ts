import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { type AddressInfo, createServer } from 'node:net';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { type ServerProcess, startServerProcess } from './fixtures/server-process.ts';
import { isAlive } from '../server/db/embedded/running-record.ts';

// The server as people start it: no MONGODB_URL, so it builds (cached) and starts its own FerretDB
// on SQLite in LIVELOG_DATA, and stops it again on SIGTERM.

const dataDir = await mkdtemp(path.join(tmpdir(), 'livelog-server-test-'));
after(() => rm(dataDir, { recursive: true, force: true }));

const METRICS_PORT = 3281;
const env: NodeJS.ProcessEnv = { ...process.env, LIVELOG_DATA: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', LIVELOG_METRICS_PORT: String(METRICS_PORT) };
delete env.MONGODB_URL;

async function startServer(): Promise<Omit<ServerProcess, 'banner'> & { banner: string }> {
  const server = await startServerProcess({ env });
  await new Promise((r) => setTimeout(r, 100)); // let the rest of the banner arrive
  return { ...server, banner: server.banner() };
}

test('the embedded database starts with the server, keeps posts across a restart and stops with it', { timeout: 120_000 }, async () => {
  // A first start that cannot listen makes no admin: the password is shown by the start that serves.
  const taken = createServer().listen(0, '127.0.0.1');
  await once(taken, 'listening');
  const failed = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'server/main.ts'], { env: { ...env, PORT: String((taken.address() as AddressInfo).port) } }).catch((e) => e);
  taken.close();
  assert.equal(failed.code, 1);
  assert.match(failed.stderr, /cannot listen/);
  const first = await startServer();
  assert.match(first.banner, /Log in as an author at \S+login with name "admin" and password "\S+"/);
  assert.match(first.banner, /A first stream is ready: \S+s\/welcome/);

  // The admin CLI finds the database the running server started, rather than opening the files twice.
  const { stdout: token } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/livelog.ts', 'token', 'create', 'admin'], { env });
  const published = await fetch(`${first.url}api/streams/welcome/posts`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token.trim()}`, 'content-type': 'application/json' },
    body: JSON.stringify({ body: 'survives a restart' }),
  });
  assert.equal(published.status, 201);
  // Metrics on their own port, not on the public one.
  const metrics = await (await fetch(`http://127.0.0.1:${METRICS_PORT}/metrics`)).text();
  assert.match(metrics, /^livelog_changes_total\{kind="post"\} 1$/m);
  assert.match(metrics, /^nodejs_eventloop_lag_seconds /m);
  assert.equal((await fetch(`${first.url}metrics`)).status, 404);

  const { ferretdbPid } = JSON.parse(await readFile(path.join(dataDir, 'ferretdb.json'), 'utf8'));
  assert.ok(isAlive(ferretdbPid));
  assert.equal(await first.stop(), 0, 'a clean exit on SIGTERM');
  assert.equal(isAlive(ferretdbPid), false, 'FerretDB stopped with the server');

  const second = await startServer();
  try {
    assert.doesNotMatch(second.banner, /password "/, 'the admin password is shown only on the first start');
    const { posts } = await (await fetch(`${second.url}api/streams/welcome/posts?since=0`)).json();
    assert.deepEqual(posts.map((p: { body: string }) => p.body), ['survives a restart']);
  } finally {
    assert.equal(await second.stop(), 0);
  }
});

test('a bad setting stops the start with one line naming it', async () => {
  const result = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'server/main.ts'], { env: { ...env, PORT: 'eighty' } }).catch((e) => e);
  assert.equal(result.code, 2);
  assert.equal(result.stderr.trim(), 'livelog: bad configuration: PORT must be a whole number in digits (got "eighty")');
});
