// Many streams, each opened once, then left idle: what it costs the server and the database, and
// whether pages waiting for a seq (`?at=`) hold up an author. Runs each given checkout of Livelog
// in turn on one embedded FerretDB (a fresh database each), so old and new code compare in one run.
//   npx tsx scripts/bench/many-streams.ts [--checkouts /work/base,.] [--streams 2000] [--idle 30] [--waits 200]
// CPU% and RSS come from /proc/PID/stat and /proc/PID/status, sampled every second (medians).
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { startEmbeddedDatabase } from '../../server/db/embedded.ts';
import { connectDatabase } from '../../server/db/database.ts';
import type { StreamRecord } from '../../server/log/records.ts';
import { Users } from '../../server/auth/users.ts';
import { Tokens } from '../../server/auth/tokens.ts';
import { machine, median, progress, startInstance } from './harness.ts';

const { values } = parseArgs({
  options: {
    checkouts: { type: 'string', default: '.' },
    streams: { type: 'string', default: '2000' },
    idle: { type: 'string', default: '30' },
    waits: { type: 'string', default: '200' },
    port: { type: 'string', default: '3413' },
  },
});
const checkouts = values.checkouts!.split(',').map((dir) => path.resolve(dir));
const streamCount = Number(values.streams);
const idleSeconds = Number(values.idle);
const waitCount = Number(values.waits);
const port = Number(values.port);
const base = `http://127.0.0.1:${port}`;
const CLOCK_TICKS = 100; // USER_HZ on Linux
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** CPU seconds (user + system) a process has used so far. */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS; // utime, stime
}

async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

/** Per-second CPU% of each process over `seconds`, and RSS of the first at each second. */
async function sampleIdle(pids: number[], seconds: number) {
  const cpu: number[][] = pids.map(() => []);
  const rss: number[] = [];
  let last = await Promise.all(pids.map(cpuSeconds));
  let lastAt = performance.now();
  for (let s = 0; s < seconds; s++) {
    await sleep(1000);
    const now = await Promise.all(pids.map(cpuSeconds));
    const elapsed = (performance.now() - lastAt) / 1000;
    for (const [i, value] of now.entries()) cpu[i]!.push((100 * (value - last[i]!)) / elapsed);
    rss.push(await rssMiB(pids[0]!));
    last = now;
    lastAt = performance.now();
  }
  return { cpu: cpu.map(median), rss: median(rss) };
}

async function publish(token: string, slug: string, body: string): Promise<number> {
  const started = performance.now();
  const response = await fetch(`${base}/api/streams/${slug}/posts`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ body }),
  });
  if (response.status !== 201) throw new Error(`publish: ${response.status} ${await response.text()}`);
  return performance.now() - started;
}

const dataDir = await mkdtemp(path.join(tmpdir(), 'livelog-bench-streams-'));
const embedded = await startEmbeddedDatabase({ dataDir, logger: pino({ level: 'warn' }) });
const { ferretdbPid } = JSON.parse(await readFile(path.join(dataDir, 'ferretdb.json'), 'utf8')) as { ferretdbPid: number };
const rows: string[] = [];

for (const [index, checkout] of checkouts.entries()) {
  const dbName = `bench_streams_${index}`;
  progress(`${checkout}: creating ${streamCount} streams in ${dbName}`);
  const database = await connectDatabase(embedded.url, dbName);
  const user = await new Users(database).add(`bench-${Date.now()}`, 'bench password', true);
  const token = await new Tokens(database).create(user, 'bench');
  const now = new Date();
  const slugs = Array.from({ length: streamCount }, (_, i) => `many-${i}`);
  await database.collection<StreamRecord>('streams').insertMany(slugs.map((slug) => ({ _id: slug, title: slug, description: '', epoch: 'e1', createdBy: user._id, createdAt: now })));
  await database.close();

  const server = await startInstance(port, { MONGODB_URL: embedded.url, LIVELOG_DB: dbName }, checkout);
  const openStarted = performance.now();
  for (let i = 0; i < slugs.length; i += 8) {
    await Promise.all(slugs.slice(i, i + 8).map(async (slug) => {
      const response = await fetch(`${base}/s/${slug}`);
      await response.arrayBuffer();
      if (response.status !== 200) throw new Error(`GET /s/${slug}: ${response.status}`);
    }));
  }
  const openSeconds = (performance.now() - openStarted) / 1000;
  progress(`${checkout}: opened ${streamCount} streams in ${openSeconds.toFixed(1)} s; idle for ${idleSeconds} s`);
  const idle = await sampleIdle([server.child.pid!, ferretdbPid], idleSeconds);

  progress(`${checkout}: publishing with and without ${waitCount} ?at= waits`);
  const slug = slugs[0]!;
  await publish(token, slug, 'warm-up');
  const quiet: number[] = [];
  for (let i = 0; i < 20; i++) quiet.push(await publish(token, slug, `quiet ${i}`));
  const flooded: number[] = [];
  for (let round = 0; round < 3; round++) {
    const head = (await (await fetch(`${base}/api/streams/${slug}/posts?since=999999999`)).json()).seq as number;
    const waits = Array.from({ length: waitCount }, () => fetch(`${base}/s/${slug}?at=${head + 1_000_000}`).then((r) => r.arrayBuffer()));
    await sleep(300);
    for (let i = 0; i < 8; i++) flooded.push(await publish(token, slug, `flooded ${round}.${i}`));
    await Promise.all(waits);
  }
  await server.stop();
  rows.push(
    `| ${path.basename(checkout)} | ${openSeconds.toFixed(1)} s | ${idle.cpu[0]!.toFixed(1)}% | ${idle.rss.toFixed(0)} MiB | ${idle.cpu[1]!.toFixed(1)}% | ${median(quiet).toFixed(1)} ms | ${median(flooded).toFixed(1)} ms |`,
  );
  progress(rows.at(-1)!);
}

await embedded.stop();
await rm(dataDir, { recursive: true, force: true });
console.log(`| checkout | open ${streamCount} streams | Node CPU idle | Node RSS idle | FerretDB CPU idle | publish p50 | publish p50, ${waitCount} ?at= waits |`);
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const row of rows) console.log(row);
console.log(`\n${new Date().toISOString().slice(0, 10)}, ${machine()}`);
