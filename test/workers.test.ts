import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import WebSocket from 'ws';
import { CLOSE_GOING_AWAY } from '../shared/protocol.ts';
import { GroupViewers } from './fixtures/group-viewers.ts';
import { type ServerProcess, startServerProcess } from './fixtures/server-process.ts';
import { isAlive } from '../server/db/embedded/running-record.ts';

// LIVELOG_WORKERS=2 as people run it: one primary with its embedded FerretDB and two workers on one
// port. A worker is killed under its viewers; they reconnect with the page's own connection code
// and resume by seq, while an author keeps publishing. Only the primary tails the doorbell: the
// workers hear of each other's posts from it, over IPC.

const BUDGET = 30;
const METRICS_PORT = process.env.LIVELOG_TEST_WORKERS_METRICS_PORT ?? '3312';
const VIEWERS = 20;
/** Posts the relay test publishes before the kill test's 12. */
const RELAYED = 4;
let dataDir: string;
let server: ServerProcess;
let adminToken: string;
let limitedToken: string;

const env = (): NodeJS.ProcessEnv => {
  const e: NodeJS.ProcessEnv = {
    ...process.env,
    LIVELOG_DATA: dataDir,
    PORT: process.env.LIVELOG_TEST_WORKERS_PORT ?? '3311',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    LIVELOG_WORKERS: '2',
    LIVELOG_METRICS_PORT: METRICS_PORT,
    LIVELOG_PRESENCE_MS: '300',
    // Slow enough that a post arriving within a second came by a ring the primary relayed.
    LIVELOG_CATCHUP_SAFETY_MS: '10000',
    LIVELOG_CHANGES_PER_MINUTE: String(BUDGET),
  };
  delete e.MONGODB_URL;
  return e;
};

const cli = async (...args: string[]) =>
  (await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/livelog.ts', ...args], { env: env() })).stdout.trim();

async function until(condition: () => boolean | Promise<boolean>, ms: number, what: () => string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail(`${what()} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The group's workers: the primary's children that run Livelog (FerretDB and esbuild are too). */
async function workerPids(): Promise<number[]> {
  const { stdout } = await promisify(execFile)('ps', ['-o', 'pid=,args=', '--ppid', String(server.child.pid)]);
  return stdout
    .split('\n')
    .filter((line) => line.includes('server/main.ts'))
    .map((line) => Number.parseInt(line, 10));
}

/** A request on a connection of its own: round-robin hands each to the next worker. */
function post(url: string, token: string, body: string, key?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify({ body });
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) };
    const req = request(`http://${server.address}${url}`, { method: 'POST', agent: false, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    // A connection handed to a worker as it is killed is never answered: give up and retry.
    req.setTimeout(3000, () => req.destroy(new Error('no answer')));
    req.end(payload);
  });
}

/** Publishes one post, retrying with the same key through a worker's death, as a device would. */
async function publish(body: string): Promise<void> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const status = await post('/api/streams/welcome/posts', adminToken, body, `post-${body.replaceAll(' ', '-')}`).catch(() => 0);
    if (status === 201) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`could not publish "${body}"`);
}

let stopped = false;
const viewers = new GroupViewers(() => server.address, () => stopped);
const viewer = (epoch: string) => viewers.open(epoch);

before(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'livelog-workers-'));
  server = await startServerProcess({ env: env(), captureLog: true });
  [adminToken, limitedToken] = await Promise.all([
    cli('token', 'create', 'admin'),
    cli('user', 'add', 'limited', '--password', 'violet harbour quantum seventy').then(() => cli('token', 'create', 'limited')),
  ]);
});

after(async () => {
  stopped = true;
  viewers.terminate();
  if (server.child.exitCode === null && server.child.signalCode === null) {
    server.child.kill('SIGKILL');
    await new Promise((resolve) => server.child.once('exit', resolve));
  }
  await rm(dataDir, { recursive: true, force: true });
});

test('the group prints the first-run banner once', () => {
  assert.equal(server.banner().match(/Livelog is running at/g)?.length, 1);
  assert.equal(server.banner().match(/password "/g)?.length, 1);
  assert.equal(server.log().match(/"msg":"embedded database started"/g)?.length, 1, 'one FerretDB, started by the primary');
  const serving = server.log().split('\n').filter((line) => line.includes('"msg":"worker is serving"'));
  assert.ok(serving.length >= 2 && serving.every((line) => line.includes('"database":"an embedded FerretDB of its own on the files in ')), 'workers name the primary\'s database');
});

test("a post through either worker reaches the viewers of both at once: the primary relays the rings", async () => {
  const { epoch } = (await (await fetch(`${server.url}api/streams/welcome/posts?since=0`)).json()) as { epoch: string };
  // Round-robin puts these on both workers, as it does the posts' connections.
  const watching = Array.from({ length: 4 }, () => viewer(epoch));
  await until(() => watching.every(({ viewer: v }) => v.viewers >= 4), 10_000, () => 'every viewer connected');
  for (let i = 0; i < RELAYED; i++) {
    assert.equal(await post('/api/streams/welcome/posts', adminToken, `relayed ${i}`), 201);
    await until(() => watching.every(({ viewer: v }) => v.posts.length === i + 1), 1000, () => `post ${i} on every viewer: ${watching.map(({ viewer: v }) => v.posts.length)}`);
  }
  for (const { leave } of watching) leave();
});

test('a worker killed with viewers attached: they reconnect, resume by seq and end equal to the database', async () => {
  const { epoch } = (await (await fetch(`${server.url}api/streams/welcome/posts?since=0`)).json()) as { epoch: string };
  const watching = Array.from({ length: VIEWERS }, () => viewer(epoch).viewer);
  const progress = () => JSON.stringify(watching.map((v) => [v.posts.length, v.viewers, v.reconnects]));
  // Round-robin spreads the viewers over both workers; each counts its own and reads the other's
  // from the database.
  await until(() => watching.every((v) => v.viewers === VIEWERS), 10_000, () => `every viewer counting ${VIEWERS}: ${progress()}`);
  for (let i = 0; i < 3; i++) await publish(`before ${i}`);

  const [victim, survivor] = await workerPids();
  assert.ok(victim && survivor, 'two workers');
  process.kill(victim, 'SIGKILL');
  const during = Array.from({ length: 6 }, (_, i) => publish(`during ${i}`));
  await Promise.all(during);
  await until(async () => (await workerPids()).filter((pid) => pid !== victim).length === 2, 15_000, () => 'a replacement worker');
  await until(() => server.log().includes('"msg":"replacement worker is serving"'), 20_000, () => 'the replacement says it serves');
  assert.match(server.log(), /"worker":\d+,"pid":\d+,"code":null,"signal":"SIGKILL".*"msg":"worker exited; starting another"/);
  for (let i = 0; i < 3; i++) await publish(`after ${i}`);

  // The worker answering may hear of the last post by doorbell a moment after another stored it.
  let stored: string[] = [];
  await until(
    async () => {
      const { posts } = (await (await fetch(`${server.url}api/streams/welcome/posts?since=0`)).json()) as { posts: { id: string }[] };
      stored = posts.map((p) => p.id);
      return stored.length === RELAYED + 12;
    },
    5000,
    () => `the ${RELAYED} + 12 posts published: ${stored.length}`,
  );
  await until(() => watching.every((v) => v.posts.length >= stored.length), 15_000, () => `every viewer has every post: ${progress()}`);
  for (const v of watching) assert.deepEqual(v.posts, stored, 'each post once, in the database order');
  assert.ok(watching.some((v) => v.reconnects > 0), 'the killed worker held some of the viewers');
  await until(() => watching.every((v) => v.viewers === VIEWERS), 10_000, () => `counts add up again: ${progress()}`);

  // One scrape of the primary shows the whole group: the viewers of both workers added up.
  const metrics = await (await fetch(`http://127.0.0.1:${METRICS_PORT}/metrics`)).text();
  const viewerSeries = [...metrics.matchAll(/^livelog_viewers\{[^}]*stream="welcome"[^}]*\} (\d+)$/gm)].map((m) => Number(m[1]));
  assert.equal(viewerSeries.reduce((a, b) => a + b, 0), VIEWERS, metrics.split('\n').filter((l) => l.startsWith('livelog_viewers')).join('\n'));
  assert.match(metrics, /^livelog_changes_total\{kind="post"\} [1-9]\d*$/m);
  assert.equal((await fetch(`${server.url}metrics`)).status, 404, 'never on the public port');
});

test('the change budget holds across the workers of a group', async () => {
  // A user who is no author: each change is refused (403) but spends the budget before that.
  const statuses = [];
  for (let i = 0; i < BUDGET + 6; i++) statuses.push(await post('/api/streams/welcome/posts', limitedToken, `try ${i}`));
  assert.equal(statuses.filter((s) => s === 403).length, BUDGET, `${statuses}`);
  assert.equal(statuses.filter((s) => s === 429).length, 6);
  // Each request came on a connection of its own: both workers took some.
  const workersAnswering = new Set(
    server
      .log()
      .split('\n')
      .filter((line) => line.includes('"statusCode":429'))
      .map((line) => JSON.parse(line).worker),
  );
  assert.equal(workersAnswering.size, 2, 'refusals came from both workers');
});

test('SIGTERM drains every worker in time, tells their viewers it is a restart, stops FerretDB and exits 0', async () => {
  stopped = true;
  const pids = await workerPids();
  const { ferretdbPid } = JSON.parse(await readFile(path.join(dataDir, 'ferretdb.json'), 'utf8'));
  // Viewers on both workers (round-robin), which must hear the restart close code, not a cut.
  const attached = await Promise.all(
    Array.from({ length: 4 }, async () => {
      const socket = new WebSocket(`ws://${server.address}/s/welcome/live`);
      const closed = new Promise<number>((resolve) => socket.once('close', resolve));
      await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
      return { closed }; // wrapped: an async function returning the promise would wait for it
    }),
  );
  const started = Date.now();
  assert.equal(await server.stop(), 0);
  const tookMs = Date.now() - started;
  for (const pid of [...pids, ferretdbPid]) assert.equal(isAlive(pid), false, `${pid} is gone`);
  // Well within the drain's bound (12 s, then workers are killed) and the primary's (18 s, then it exits 1).
  assert.ok(tookMs < 8000, `drained in ${tookMs} ms`);
  assert.doesNotMatch(server.log(), /did not drain in time|shutdown took too long/);
  assert.deepEqual(await Promise.all(attached.map((a) => a.closed)), [CLOSE_GOING_AWAY, CLOSE_GOING_AWAY, CLOSE_GOING_AWAY, CLOSE_GOING_AWAY]);
});
