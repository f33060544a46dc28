// The floor: Livelog side by side with a bare `ws` broadcaster (no database) and Centrifugo, under
// the same independent load client, in one run (these machines are shared and noisy: read the
// ratios within a run, and the medians of several).
//   npx tsx scripts/bench/floor.ts [--sizes 1000,5000,10000] [--targets livelog,ws,centrifugo]
//     [--posts 20] [--interval 250] [--rounds 1] [--clients 4] [--addresses 16] [--workers 1]
//     [--port 4200] [--base CHECKOUT] [--settle 6000]
// The load client is --clients processes of floor-viewers.ts, each opening its share of the viewers
// from source addresses 127.0.0.2 and up (--addresses of them). Each target is started fresh for
// each measurement. Delivery: from the start of the publishing request to the post's frame at each
// viewer. CPU per post: the server's processes (from /proc) from the first publish until the last
// delivery, divided by the posts; Livelog's embedded FerretDB is reported apart. Memory per viewer:
// the server's RSS after the viewers connected less before, divided by the viewers. --base adds the
// target `base`: Livelog from another checkout (say, an older commit), measured in the same run.
import { fork } from 'node:child_process';
import { createServer } from 'node:net';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { machine, progress, setUp } from './harness.ts';
import { processTree, usage } from './proc.ts';
import { startTarget, type Target, type TargetName } from './floor-targets.ts';
import type { ConnectOrder, FromViewers } from './floor-viewers.ts';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1000,5000,10000' },
    targets: { type: 'string', default: 'livelog,ws,centrifugo' },
    posts: { type: 'string', default: '20' },
    interval: { type: 'string', default: '250' },
    rounds: { type: 'string', default: '1' },
    clients: { type: 'string', default: '4' },
    addresses: { type: 'string', default: '16' },
    workers: { type: 'string', default: '1' },
    port: { type: 'string', default: '4200' },
    base: { type: 'string' },
    settle: { type: 'string', default: '6000' },
  },
});
const sizes = values.sizes!.split(',').map(Number);
const targets = values.targets!.split(',') as TargetName[];
const posts = Number(values.posts);
const interval = Number(values.interval);
const clients = Number(values.clients);
const addresses = Array.from({ length: Number(values.addresses) }, (_, i) => `127.0.0.${i + 2}`);
const livelogWorkers = Number(values.workers);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.timeOrigin + performance.now();
let nextPort = Number(values.port);

export interface Row {
  target: TargetName;
  viewers: number;
  p50: number;
  p99: number;
  max: number;
  /** From publish to the last viewer, median over the posts. */
  last: number;
  cpuPerPost: number;
  dbCpuPerPost: number;
  /** The load client's processes: what receiving the frames cost (the same work for every server). */
  clientCpuPerPost: number;
  memoryPerViewer: number;
  missing: number;
  publishMs: number;
}

const setup = await setUp();
const ferretdb = (await processTree(process.pid)).slice(1);
const ferretdbPids: number[] = [];
for (const pid of ferretdb) if ((await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '')).startsWith('ferretdb')) ferretdbPids.push(pid);

function body(i: number): string {
  return `floor-post-${i}- ${'lorem ipsum dolor sit amet, consectetur adipiscing elit. '.repeat(5)}`.slice(0, 250);
}

async function measure(name: TargetName, size: number): Promise<Row> {
  const maxViewers = Math.ceil(size / livelogWorkers) + 2000;
  const target: Target = await startTarget(name, await freePort(), setup, { workers: livelogWorkers, maxViewers, baseCheckout: values.base });
  const pids = await target.pids();
  const children = Array.from({ length: clients }, () => fork(new URL('./floor-viewers.ts', import.meta.url), { execArgv: ['--import', 'tsx'] }));
  try {
    await sleep(1000);
    const before = await usage(await target.pids());
    const opened = new Array<number>(clients).fill(0);
    const delivered = new Array<number>(clients).fill(0);
    const shares = children.map((_, c) => Math.floor((size * (c + 1)) / clients) - Math.floor((size * c) / clients));
    const firsts = shares.map((_, c) => Math.floor((size * c) / clients));
    let failed = 0;
    const connected = Promise.all(
      children.map(
        (child, c) =>
          new Promise<void>((resolve) => {
            child.on('message', (message: FromViewers) => {
              if (message.type === 'progress') opened[c] = message.open;
              if (message.type === 'delivered') delivered[c] = message.delivered;
              if (message.type === 'connected') {
                opened[c] = message.open;
                failed += message.failed;
                resolve();
              }
            });
            const order: ConnectOrder = { type: 'connect', url: target.url, protocol: target.protocol, first: firsts[c]!, count: shares[c]!, concurrency: 50, addresses, posts };
            child.send(order);
          }),
      ),
    );
    const ticker = setInterval(() => progress(`${name} ${size}: ${opened.reduce((a, b) => a + b)} viewers open`), 3000);
    await connected;
    clearInterval(ticker);
    if (failed > 0) progress(`${name} ${size}: ${failed} viewers could not connect`);
    // Past Livelog's first viewer-count round (LIVELOG_PRESENCE_MS, 5 s) after the arrivals: the
    // posts are measured in the steady state, not alongside the count's own fan-out.
    await sleep(Number(values.settle));
    const connectedUsage = await usage(await target.pids());
    const dbBefore = await usage(ferretdbPids);
    const clientPids = children.map((child) => child.pid!);
    const clientBefore = await usage(clientPids);
    for (const child of children) child.send({ type: 'watch' });
    progress(`${name} ${size}: publishing ${posts} posts, one every ${interval} ms`);
    const publishedAt: number[] = [];
    const publishMs: number[] = [];
    const publishing: Promise<void>[] = [];
    const start = now();
    for (let i = 0; i < posts; i++) {
      await sleep(Math.max(0, start + i * interval - now()));
      publishedAt[i] = now();
      const published = target.publish(body(i)).then(
        () => void publishMs.push(now() - publishedAt[i]!),
        (error: Error) => {
          progress(`${name} ${size}: post ${i} failed (its deliveries count as missing): ${error.message}`);
        },
      );
      publishing.push(published);
    }
    await Promise.all(publishing);
    const expected = size * posts;
    const deadline = now() + 30_000;
    while (delivered.reduce((a, b) => a + b) < expected - failed * posts && now() < deadline) await sleep(20);
    const after = await usage(pids.length > 1 ? await target.pids() : pids);
    const dbAfter = await usage(ferretdbPids);
    const clientAfter = await usage(clientPids);
    const arrivals = await Promise.all(
      children.map(
        (child) =>
          new Promise<number[]>((resolve) => {
            child.on('message', (message: FromViewers) => message.type === 'arrivals' && resolve(message.arrivals));
            child.send({ type: 'report' });
          }),
      ),
    );
    const latencies: number[] = [];
    const lastPerPost = new Array<number>(posts).fill(0);
    let missing = 0;
    for (const share of arrivals) {
      for (let slot = 0; slot < share.length; slot++) {
        const post = slot % posts;
        if (share[slot] === 0) {
          missing++;
          continue;
        }
        const latency = share[slot]! - publishedAt[post]!;
        latencies.push(latency);
        lastPerPost[post] = Math.max(lastPerPost[post]!, latency);
      }
    }
    missing += failed * posts;
    latencies.sort((a, b) => a - b);
    const at = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN;
    const row: Row = {
      target: name,
      viewers: size,
      p50: at(0.5),
      p99: at(0.99),
      max: latencies.at(-1) ?? NaN,
      last: middle(lastPerPost),
      cpuPerPost: ((after.cpu - connectedUsage.cpu) * 1000) / posts,
      dbCpuPerPost: target.protocol === 'livelog' ? ((dbAfter.cpu - dbBefore.cpu) * 1000) / posts : 0,
      clientCpuPerPost: ((clientAfter.cpu - clientBefore.cpu) * 1000) / posts,
      memoryPerViewer: (connectedUsage.rss - before.rss) / size,
      missing,
      publishMs: middle(publishMs),
    };
    progress(`${name} ${size}: p50 ${row.p50.toFixed(0)} ms, p99 ${row.p99.toFixed(0)} ms, max ${row.max.toFixed(0)} ms, CPU/post ${row.cpuPerPost.toFixed(0)} ms (load client ${row.clientCpuPerPost.toFixed(0)} ms), ${(row.memoryPerViewer / 1024).toFixed(1)} KB/viewer, missing ${missing}`);
    return row;
  } finally {
    for (const child of children) child.connected && child.send({ type: 'close' });
    await Promise.all(children.map((child) => new Promise((r) => (child.exitCode === null ? child.once('exit', r) : r(null)))));
    await target.stop();
    await sleep(500);
  }
}

/** The next port of the range nobody listens on (other services may hold some of it). */
async function freePort(): Promise<number> {
  for (;;) {
    const port = nextPort++;
    const free = await new Promise<boolean>((resolve) => {
      const probe = createServer().once('error', () => resolve(false));
      probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

function middle(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

const rows: (Row & { round: number })[] = [];
try {
  for (let round = 1; round <= Number(values.rounds); round++) {
    for (const size of sizes) {
      // The order rotates each round, so no target always runs first (or last) on a warming machine.
      const order = targets.map((_, i) => targets[(i + round - 1) % targets.length]!);
      for (const name of order) rows.push({ ...(await measure(name, size)), round });
    }
  }
} finally {
  await setup.cleanup();
}

const ms = (n: number) => `${n.toFixed(0)} ms`;
console.log(`\n${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${machine()}, load average ${(await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ')}`);
console.log(`${posts} posts, one every ${interval} ms; load client ${clients} processes over ${addresses.length} source addresses; Livelog workers: ${livelogWorkers}\n`);
console.log('| round | viewers | server | delivery p50 / p99 / max | last viewer (median post) | publish (median) | CPU per post (server + FerretDB) | load client CPU per post | memory per viewer | missing | p99 vs Livelog | CPU vs Livelog |');
console.log('| ---: | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const row of rows) {
  const livelog = rows.find((r) => r.round === row.round && r.viewers === row.viewers && r.target === 'livelog');
  const ratio = (a: number, b: number | undefined) => (b ? `×${(a / b).toFixed(2)}` : '');
  const db = row.target === 'livelog' || row.target === 'base' ? ` + ${ms(row.dbCpuPerPost)}` : '';
  console.log(
    `| ${row.round} | ${row.viewers} | ${row.target} | ${ms(row.p50)} / ${ms(row.p99)} / ${ms(row.max)} | ${ms(row.last)} | ${ms(row.publishMs)} | ${ms(row.cpuPerPost)}${db} | ${ms(row.clientCpuPerPost)} | ${(row.memoryPerViewer / 1024).toFixed(1)} KB | ${row.missing} | ${ratio(row.p99, livelog?.p99)} | ${ratio(row.cpuPerPost, livelog?.cpuPerPost)} |`,
  );
}
