// Many instances, one database: N Livelog processes share one embedded FerretDB
// (LIVELOG_RELAY=mongo), with viewers of many streams on every instance. Reports the database's CPU
// while idle and while posts go in through one instance, delivery p50/p99 to the viewers of the other
// instances, deliveries missing (must be 0), and whether every viewer is told the true viewer count.
//   npx tsx scripts/bench/instances.ts [--instances 8] [--workers 1] [--streams 20] [--viewers 5]
//     [--posts 20] [--idle 20] [--checkout .] [--port 3910]
// --workers runs each instance as a LIVELOG_WORKERS group of that many processes (its viewers spread
// over them by the cluster's round-robin); --viewers is per stream per instance; --posts 0 measures
// idle only. --checkout runs another
// checkout's server (an older commit, to compare) against this script.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import pino from 'pino';
import { startEmbeddedDatabase } from '../../server/db/embedded.ts';
import { connectDatabase } from '../../server/db/database.ts';
import { MongoChangeStore } from '../../server/log/mongo-store.ts';
import { Streams } from '../../server/log/streams.ts';
import { Users } from '../../server/auth/users.ts';
import { Tokens } from '../../server/auth/tokens.ts';
import { machine, percentile, progress, startInstance, type Instance } from './harness.ts';
import { cpuPercent, ferretdbPid } from './cpu.ts';

const { values } = parseArgs({
  options: {
    instances: { type: 'string', default: '8' },
    workers: { type: 'string', default: '1' },
    streams: { type: 'string', default: '20' },
    viewers: { type: 'string', default: '5' },
    posts: { type: 'string', default: '20' },
    idle: { type: 'string', default: '20' },
    checkout: { type: 'string', default: '.' },
    port: { type: 'string', default: '3910' },
    // Livelog's default; earlier runs in BENCHMARKS.md used 2000 so that counts settle sooner.
    'presence-ms': { type: 'string', default: '5000' },
  },
});
const instanceCount = Number(values.instances);
const workersPerInstance = Number(values.workers);
const streamCount = Number(values.streams);
const viewersPerStream = Number(values.viewers);
const postCount = Number(values.posts);
const idleSeconds = Number(values.idle);
const checkout = path.resolve(values.checkout!);
const firstPort = Number(values.port);
const PRESENCE_MS = Number(values['presence-ms']);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A viewer that records when each change seq first arrived, and the last viewer count it was told. */
class Viewer {
  readonly arrived = new Map<number, number>();
  count = -1;
  private socket: WebSocket | undefined;
  constructor(
    readonly instance: number,
    readonly slug: string,
  ) {}

  connect(base: string): Promise<void> {
    const socket = new WebSocket(`ws://${base}/s/${this.slug}/live?since=0`);
    this.socket = socket;
    socket.on('message', (data) => {
      const frame = JSON.parse(String(data)) as { t: string; seq?: number; n?: number };
      if (frame.t === 'viewers') this.count = frame.n!;
      else if (frame.t === 'post' && frame.seq !== undefined && !this.arrived.has(frame.seq)) this.arrived.set(frame.seq, Date.now());
    });
    socket.on('error', () => {});
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
  }

  stop(): void {
    this.socket?.terminate();
  }
}

const dataDir = await mkdtemp(path.join(tmpdir(), 'livelog-bench-'));
const embedded = await startEmbeddedDatabase({ dataDir, logger: pino({ level: 'warn' }) });
const database = await connectDatabase(embedded.url, 'livelog');
const user = await new Users(database).add(`bench-${Date.now()}`, 'bench password', true);
const token = await new Tokens(database).create(user, 'bench');
const streams = new Streams(new MongoChangeStore(database));
const slugs = Array.from({ length: streamCount }, (_, i) => `bench-${i}`);
for (const slug of slugs) await streams.create(slug, `Benchmark ${slug}`, user._id);
await database.close();
const dbPid = await ferretdbPid();

const env = { MONGODB_URL: embedded.url, LIVELOG_DB: 'livelog', LIVELOG_RELAY: 'mongo', LIVELOG_PRESENCE_MS: String(PRESENCE_MS), LIVELOG_WORKERS: String(workersPerInstance) };
const instances: Instance[] = [];
// A few processes at a time (a group is 1 + workers of them): dozens starting at once on two cores time out.
const startAtOnce = Math.max(1, Math.floor(4 / workersPerInstance));
for (let i = 0; i < instanceCount; i += startAtOnce) {
  const batch = Array.from({ length: Math.min(startAtOnce, instanceCount - i) }, (_, j) => startInstance(firstPort + i + j, env, checkout));
  instances.push(...(await Promise.all(batch)));
  progress(`${instances.length}/${instanceCount} instances up (${checkout})`);
}

// A connection refused (a 503 while an instance is under pressure on this shared machine) is tried
// again, as the page's script would, and counted.
let connectsRetried = 0;
async function connect(viewer: Viewer, base: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await viewer.connect(base);
    } catch (error) {
      if (attempt >= 20) throw error;
      connectsRetried++;
      await sleep(250 * attempt);
    }
  }
}
const viewers: Viewer[] = [];
for (const [i, instance] of instances.entries()) {
  for (const slug of slugs) {
    for (let v = 0; v < viewersPerStream; v++) {
      const viewer = new Viewer(i, slug);
      await connect(viewer, instance.base);
      viewers.push(viewer);
    }
  }
}
progress(`${viewers.length} viewers connected; settling 5 s, then ${idleSeconds} s idle`);
await sleep(5000);
const idleCpu = await cpuPercent(dbPid, idleSeconds);
progress(`database CPU idle: ${idleCpu.toFixed(1)}% of a core`);

// Posts round-robin across the streams through instance 0, one every 250 ms. A 5xx (the database
// too busy) is retried with the same idempotency key, as an author's device would, and counted.
const posted: { slug: string; seq: number; at: number }[] = [];
const retried = new Map<number, number>(); // by status
let refused = 0;
async function post(n: number): Promise<void> {
  const slug = slugs[n % slugs.length]!;
  const at = Date.now();
  for (let attempt = 0; attempt < 10; attempt++) {
    const response = await fetch(`http://${instances[0]!.base}/api/streams/${slug}/posts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': `bench-post-${n}` },
      body: JSON.stringify({ body: `bench post ${n}` }),
    });
    if (response.status === 201) {
      posted.push({ slug, seq: ((await response.json()) as { seq: number }).seq, at });
      return;
    }
    progress(`post ${n}: ${response.status} ${await response.text()}`);
    if (response.status < 500) break;
    retried.set(response.status, (retried.get(response.status) ?? 0) + 1);
    await sleep(300);
  }
  refused++;
}
let postingCpu = Number.NaN;
if (postCount > 0) {
  const posting = (async () => {
    const inFlight: Promise<void>[] = [];
    for (let n = 0; n < postCount; n++) {
      inFlight.push(post(n));
      await sleep(250);
    }
    await Promise.all(inFlight);
    await sleep(1000); // deliveries under way count as posting
  })();
  postingCpu = await cpuPercent(dbPid, 0, posting);
  progress(`${postCount} posts sent; database CPU while posting: ${postingCpu.toFixed(1)}%`);
}

// Delivery to the viewers of the other instances; a missing one may still arrive within 5 s.
const others = viewers.filter((viewer) => viewer.instance !== 0);
const missing = () => others.reduce((sum, viewer) => sum + posted.filter((p) => p.slug === viewer.slug && !viewer.arrived.has(p.seq)).length, 0);
for (let waited = 0; waited < 5000 && missing() > 0; waited += 100) await sleep(100);
const latencies = others.flatMap((viewer) =>
  posted.filter((p) => p.slug === viewer.slug && viewer.arrived.has(p.seq)).map((p) => viewer.arrived.get(p.seq)! - p.at),
);

// Every viewer should be told the true total of its stream: viewers per stream × instances.
const expected = viewersPerStream * instanceCount;
const wrongCount = () => viewers.filter((viewer) => viewer.count !== expected).length;
for (let waited = 0; waited < 4 * PRESENCE_MS && wrongCount() > 0; waited += 100) await sleep(100);

const result = {
  checkout,
  machine: machine(),
  date: new Date().toISOString(),
  instances: instanceCount,
  workersPerInstance,
  streams: streamCount,
  viewers: viewers.length,
  connectsRetried,
  dbCpuIdlePercent: Math.round(idleCpu * 10) / 10,
  dbCpuPostingPercent: Math.round(postingCpu * 10) / 10,
  posts: posted.length,
  postsRetried: Object.fromEntries(retried),
  postsRefused: refused,
  deliveryP50Ms: percentile(latencies, 50),
  deliveryP99Ms: percentile(latencies, 99),
  missingDeliveries: missing(),
  viewersToldWrongCount: wrongCount(),
};
console.log(JSON.stringify(result));
for (const viewer of viewers) viewer.stop();
await Promise.all(instances.map((instance) => instance.stop()));
await embedded.stop();
await rm(dataDir, { recursive: true, force: true });
process.exit(result.missingDeliveries === 0 && result.viewersToldWrongCount === 0 && refused === 0 ? 0 : 1);
