// Soak: two Livelog instances on one embedded FerretDB (LIVELOG_RELAY=mongo, a small doorbell cap),
// a few hundred viewers that randomly lose their connection, a few hundred posts, edits and deletes
// sent to either instance, running past FerretDB's one-minute capped cleanup. At the end every
// viewer's list must equal the database's.
//   npx tsx scripts/bench/soak.ts [--viewers 300] [--changes 300] [--seconds 90] [--drop-rate 0.02]
import { parseArgs } from 'node:util';
import { BenchViewer, machine, median, percentile, progress, setUp, startInstance } from './harness.ts';

const { values } = parseArgs({
  options: {
    viewers: { type: 'string', default: '300' },
    changes: { type: 'string', default: '300' },
    seconds: { type: 'string', default: '90' },
    'drop-rate': { type: 'string', default: '0.02' }, // chance per viewer per second of losing the link
    'doorbell-max': { type: 'string', default: '20' },
  },
});
const viewerCount = Number(values.viewers);
const changeCount = Number(values.changes);
const seconds = Number(values.seconds);
const dropRate = Number(values['drop-rate']);

const setup = await setUp();
const env = {
  MONGODB_URL: setup.mongodbUrl,
  LIVELOG_DB: 'livelog',
  LIVELOG_RELAY: 'mongo',
  LIVELOG_DOORBELL_MAX: values['doorbell-max']!,
  LIVELOG_PRESENCE_MS: '2000',
};
const instances = [await startInstance(3401, env), await startInstance(3402, env)];
const instancesUp = Date.now();
progress(`2 instances up; connecting ${viewerCount} viewers`);

const publishedAt = new Map<number, number>();
const publishedVia = new Map<number, number>(); // which instance accepted each seq
/** First arrival of each seq at each viewer: [viewer's instance, seq, time]. A frame can arrive
 *  before the publisher's own response does, so latencies are computed at the end. */
const arrivals: [number, number, number][] = [];
const viewers: BenchViewer[] = [];
for (let i = 0; i < viewerCount; i++) {
  const viewer = new BenchViewer(instances[i % 2]!.base, setup.slug);
  const seen = new Set<number>();
  viewer.onApplied = (seq) => {
    if (!seen.has(seq)) arrivals.push([i % 2, seq, Date.now()]);
    seen.add(seq);
  };
  await viewer.connect();
  viewers.push(viewer);
}

let drops = 0;
const chaos = setInterval(() => {
  for (const viewer of viewers) {
    if (Math.random() < dropRate) {
      viewer.drop();
      drops++;
    }
  }
}, 1000);

async function api(method: string, path: string, key: string, body?: object): Promise<{ status: number; via: number; json: { seq?: number; id?: string } }> {
  for (let attempt = 0; ; attempt++) {
    const via = Math.floor(Math.random() * instances.length);
    const base = instances[via]!.base;
    const response = await fetch(`http://${base}/api/streams/${setup.slug}${path}`, {
      method,
      headers: { authorization: `Bearer ${setup.token}`, 'idempotency-key': key, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    // Retry what the server could not do now, with the same key: it must not double.
    if (response.status !== 503 || attempt > 10) return { status: response.status, via, json: await response.json() };
    await new Promise((r) => setTimeout(r, 200));
  }
}

const live: string[] = [];
const counts = { post: 0, edit: 0, delete: 0, refused: 0 };
const started = Date.now();
const report = setInterval(() => {
  const done = counts.post + counts.edit + counts.delete;
  progress(`${Math.round((Date.now() - started) / 1000)} s: ${done}/${changeCount} changes, ${drops} dropped links, ${viewers.reduce((n, v) => n + v.gaps, 0)} gaps healed`);
}, 10_000);
for (let i = 0; i < changeCount; i++) {
  const due = started + (i * seconds * 1000) / changeCount;
  await new Promise((r) => setTimeout(r, Math.max(0, due - Date.now())));
  const roll = Math.random();
  const key = `soak-change-${i}`;
  const at = Date.now();
  let result: Awaited<ReturnType<typeof api>>;
  if (roll < 0.6 || live.length < 5) {
    result = await api('POST', '/posts', key, { body: `Update ${i}: ${'lorem ipsum '.repeat(5)}` });
    if (result.status === 201) live.push(result.json.id!);
    counts.post++;
  } else if (roll < 0.85) {
    const id = live[Math.floor(Math.random() * live.length)]!;
    result = await api('PATCH', `/posts/${id}`, key, { body: `Edited at change ${i}` });
    counts.edit++;
  } else {
    const id = live.splice(Math.floor(Math.random() * live.length), 1)[0]!;
    result = await api('DELETE', `/posts/${id}`, key);
    counts.delete++;
  }
  if (result.status >= 300) {
    counts.refused++;
    if (counts.refused <= 3) progress(`refused: ${result.status} ${JSON.stringify(result.json)}`);
  }
  else {
    publishedAt.set(result.json.seq!, at);
    publishedVia.set(result.json.seq!, result.via);
  }
}
clearInterval(chaos);
clearInterval(report);
progress('all changes sent; waiting for every viewer to catch up');

// The truth: what both instances serve once they have caught up with the last accepted change.
const lastSeq = Math.max(0, ...publishedAt.keys());
const stateOf = async (base: string) => (await fetch(`http://${base}/api/streams/${setup.slug}/posts?since=0`)).json();
let [truth, other] = await Promise.all(instances.map((i) => stateOf(i.base)));
for (let i = 0; i < 100 && Math.min(truth.seq, other.seq) < lastSeq; i++) {
  await new Promise((r) => setTimeout(r, 100));
  [truth, other] = await Promise.all(instances.map((i) => stateOf(i.base)));
}
if (JSON.stringify(other.posts) !== JSON.stringify(truth.posts)) throw new Error('the two instances disagree');
const expected = new Map<string, number>(
  truth.posts.filter((p: { deleted?: boolean }) => !p.deleted).map((p: { id: string; seq: number }) => [p.id, p.seq]),
);
const deadline = Date.now() + 60_000;
while (viewers.some((v) => v.seq < truth.seq) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
const mismatched = viewers.filter((v) => v.posts.size !== expected.size || [...expected].some(([id, seq]) => v.posts.get(id) !== seq));
const elapsed = (Date.now() - started) / 1000;
for (const viewer of mismatched.slice(0, 3)) {
  const wrong = [...expected].filter(([id, seq]) => viewer.posts.get(id) !== seq).map(([id, seq]) => `${id.slice(0, 8)}: has ${viewer.posts.get(id)}, db ${seq}`);
  const extra = [...viewer.posts.keys()].filter((id) => !expected.has(id)).map((id) => id.slice(0, 8));
  progress(`viewer at seq ${viewer.seq}/${truth.seq} differs: ${wrong.join(', ')} extra: ${extra.join(', ')}`);
}

for (const viewer of viewers) viewer.stop();
for (const instance of instances) await instance.stop();
await setup.cleanup();

const delivered = arrivals.filter(([, seq]) => publishedAt.has(seq));
const latencies = delivered.map(([, seq, at]) => at - publishedAt.get(seq)!);
// Deliveries to viewers of the other instance after FerretDB's first capped cleanup (65 s after the
// instances started): the doorbell's work once documents were deleted from under its cursor.
const crossLateLatencies = delivered
  .filter(([instance, seq]) => publishedVia.get(seq) !== instance && publishedAt.get(seq)! - instancesUp > 65_000)
  .map(([, seq, at]) => at - publishedAt.get(seq)!);
const summary = {
  date: new Date().toISOString().slice(0, 10),
  machine: machine(),
  viewers: viewerCount,
  changes: { ...counts, head: truth.seq },
  seconds: Math.round(elapsed),
  droppedLinks: drops,
  reconnects: viewers.reduce((n, v) => n + v.reconnects, 0),
  gapsHealed: viewers.reduce((n, v) => n + v.gaps, 0),
  deliveryMs: { median: median(latencies), p99: percentile(latencies, 99), samples: latencies.length },
  otherInstanceAfterCappedCleanupMs: { median: median(crossLateLatencies), p99: percentile(crossLateLatencies, 99), samples: crossLateLatencies.length },
  viewersMatchingDatabase: `${viewerCount - mismatched.length}/${viewerCount}`,
};
console.log(JSON.stringify(summary, null, 2));
process.exit(mismatched.length === 0 && counts.refused === 0 ? 0 : 1);
