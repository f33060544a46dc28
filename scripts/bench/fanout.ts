// Fan-out: how fast one instance delivers a post to many open viewers, measured side by side for
// several audience sizes in one run (these machines are shared and noisy: compare within a run).
//   npx tsx scripts/bench/fanout.ts [--sizes 100,1000,3000] [--posts 30]
// The viewers run in this process on the same machine, so their own work is part of the figures.
import { parseArgs } from 'node:util';
import { BenchViewer, machine, median, percentile, progress, setUp, startInstance } from './harness.ts';

const { values } = parseArgs({
  options: { sizes: { type: 'string', default: '100,1000,3000' }, posts: { type: 'string', default: '30' } },
});
const sizes = values.sizes!.split(',').map(Number);
const posts = Number(values.posts);

const setup = await setUp();
const instance = await startInstance(3411, { MONGODB_URL: setup.mongodbUrl, LIVELOG_DB: 'livelog' });
const rows: { viewers: number; median: number; p99: number; max: number; publishMs: number }[] = [];

for (const size of sizes) {
  progress(`${size} viewers: connecting`);
  const publishedAt = new Map<number, number>();
  // Arrival times by seq: a frame can arrive before the publisher's own response does.
  const arrivals: [number, number][] = [];
  const viewers: BenchViewer[] = [];
  for (let i = 0; i < size; i++) {
    const viewer = new BenchViewer(instance.base, setup.slug);
    viewer.onApplied = (seq) => arrivals.push([seq, Date.now()]);
    await viewer.connect();
    viewers.push(viewer);
  }
  await new Promise((r) => setTimeout(r, 500)); // replays done
  progress(`${size} viewers: publishing ${posts} posts`);
  const publishTimes: number[] = [];
  for (let i = 0; i < posts; i++) {
    const started = Date.now();
    const response = await fetch(`http://${instance.base}/api/streams/${setup.slug}/posts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${setup.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ body: `Post ${i} for ${size} viewers: ${'lorem ipsum '.repeat(10)}` }),
    });
    const { seq } = await response.json();
    publishedAt.set(seq, started);
    publishTimes.push(Date.now() - started);
    await new Promise((r) => setTimeout(r, 200));
  }
  const expected = size * posts;
  const deadline = Date.now() + 30_000;
  const delivered = () => arrivals.filter(([seq]) => publishedAt.has(seq));
  while (delivered().length < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  const latencies = delivered().map(([seq, at]) => at - publishedAt.get(seq)!);
  if (latencies.length < expected) throw new Error(`only ${latencies.length} of ${expected} deliveries arrived`);
  rows.push({ viewers: size, median: median(latencies), p99: percentile(latencies, 99), max: Math.max(...latencies), publishMs: median(publishTimes) });
  progress(`${size} viewers: median ${median(latencies)} ms, p99 ${percentile(latencies, 99)} ms`);
  for (const viewer of viewers) viewer.stop();
  await new Promise((r) => setTimeout(r, 500));
}

await instance.stop();
await setup.cleanup();
const base = rows[0]!;
console.log(`| viewers | publish (median) | delivery median | p99 | max | median vs ${base.viewers} viewers |`);
console.log('| ---: | ---: | ---: | ---: | ---: | ---: |');
for (const row of rows) {
  console.log(`| ${row.viewers} | ${row.publishMs} ms | ${row.median} ms | ${row.p99} ms | ${row.max} ms | ×${(row.median / Math.max(1, base.median)).toFixed(1)} |`);
}
console.log(`\n${new Date().toISOString().slice(0, 10)}, ${machine()}`);
