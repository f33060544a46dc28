import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { databaseUrl, testApp, type TestApp } from './helpers.ts';
import { connectDatabase } from '../server/db/database.ts';
import { DatabaseUnavailable } from '../server/errors.ts';
import { sseViewer, websocketViewer, type TestViewer } from './viewer.ts';
import { serveProcessMetrics, type MetricsServer } from '../server/metrics/serve.ts';
import { MongoChangeStore } from '../server/log/mongo-store.ts';
import { loadStreamProjection } from '../server/log/projection.ts';
import { publishPost } from '../server/log/commands.ts';

// A scripted session on a real server with LIVELOG_METRICS_PORT set (viewers on both transports,
// posts, an edit, a delete, a resume, a change from another process, a refused viewer), then the
// metrics port scraped and its numbers checked against what happened.

const METRICS_PORT = Number(process.env.LIVELOG_TEST_METRICS_PORT ?? 3411);
const logger = pino({ level: 'silent' });

let t: TestApp;
let base: string;
let metrics: MetricsServer | undefined;
before(async () => {
  t = await testApp({ LIVELOG_METRICS_PORT: String(METRICS_PORT), LIVELOG_MAX_VIEWERS_PER_ADDRESS: '3', LIVELOG_CATCHUP_MS: '50' });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  base = `127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
  metrics = await serveProcessMetrics(t.app.livelog.config, logger);
});
after(async () => {
  await metrics?.close();
  await t.close();
});

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Prometheus's text format, the samples only (comments skipped). */
function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)) labels[key!] = value!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

async function scrape(): Promise<(name: string, labels?: Record<string, string>) => number | undefined> {
  const response = await fetch(`http://127.0.0.1:${METRICS_PORT}/metrics`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
  const samples = parseExposition(await response.text());
  return (name, labels = {}) => {
    const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
    assert.ok(found.length <= 1, `${name} ${JSON.stringify(labels)} names one series`);
    return found[0]?.value;
  };
}

const api = (method: 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
  t.app.inject({ method, url: `/api/streams/${t.slug}${url}`, headers: { authorization: `Bearer ${t.token}` }, payload });

test('a scrape after a scripted session counts its viewers, changes, deliveries, replays, relays and refusals', async () => {
  const live = await websocketViewer(base, t.slug, '0');
  const events = await sseViewer(base, t.slug, { since: '0' });
  await live.waitFor((f) => f.length >= 2); // hello, then seq 1 (the reporter made an author)
  const head = live.frames[0]!.seq!;
  const epoch = live.frames[0]!.epoch!;

  const ids: string[] = [];
  for (const body of ['Kick-off', 'First chance', 'Yellow card']) ids.push((await api('POST', '/posts', { body })).json().id);
  assert.equal((await api('PATCH', `/posts/${ids[0]}`, { body: 'Kick-off, late' })).statusCode, 200);
  assert.equal((await api('DELETE', `/posts/${ids[1]}`)).statusCode, 200);
  const allSeen = (v: TestViewer, seq: number) => v.waitFor((f) => f.some((x) => x.seq === seq && x.t !== 'hello'));
  await Promise.all([allSeen(live, head + 5), allSeen(events, head + 5)]);

  // Resuming from before the posts: the three posts touched since, compacted.
  const resumed = await websocketViewer(base, t.slug, `${epoch}.${head}`);
  await allSeen(resumed, head + 5);
  assert.equal(resumed.changes().length, 3);

  // Another process appends: this one learns it through the catch-up loop.
  const other = (await loadStreamProjection(new MongoChangeStore(t.database), t.slug))!;
  await publishPost(other, { actor: { id: t.author._id, name: t.author.name, admin: false }, body: 'From the other instance', key: 'other-instance-1' });
  await Promise.all([live, events, resumed].map((v) => allSeen(v, head + 6)));

  // A fourth connection from this address is over LIVELOG_MAX_VIEWERS_PER_ADDRESS.
  const refused = await fetch(`http://${base}/s/${t.slug}/events`);
  assert.equal(refused.status, 429);

  const value = await scrape();
  assert.equal(value('livelog_viewers', { stream: t.slug, transport: 'websocket' }), 2);
  assert.equal(value('livelog_viewers', { stream: t.slug, transport: 'sse' }), 1);
  // Three through the API and the other instance's, which runs in this process and its registry.
  assert.equal(value('livelog_changes_total', { kind: 'post' }), 4);
  assert.equal(value('livelog_changes_total', { kind: 'edit' }), 1);
  assert.equal(value('livelog_changes_total', { kind: 'delete' }), 1);
  assert.equal(value('livelog_changes_total', { kind: 'member' }), 1);
  // Each change is observed once however many viewers it went to: five here, one from elsewhere.
  assert.equal(value('livelog_delivery_seconds_count'), 6);
  assert.equal(value('livelog_delivery_seconds_bucket', { le: '+Inf' }), 6);
  assert.ok(value('livelog_delivery_seconds_sum')! < 6 * 5, 'delivered within seconds');
  assert.equal(value('livelog_publish_seconds_count'), 5);
  assert.equal(value('livelog_relay_lag_seconds_count'), 1);
  // Three connections: the member change replayed to each of the first two, three posts to the third.
  assert.equal(value('livelog_replay_changes_count'), 3);
  assert.equal(value('livelog_replay_changes_sum'), 1 + 1 + 3);
  assert.equal(value('livelog_viewers_cut_total', { reason: 'address_full' }), 1);
  assert.equal(value('livelog_db_errors_total'), undefined, 'no database call failed');
  assert.ok(value('process_cpu_seconds_total')! > 0);
  assert.ok(value('nodejs_eventloop_lag_p99_seconds') !== undefined);

  for (const v of [live, events, resumed]) v.close();
  const deadline = Date.now() + 5000;
  while (t.app.livelog.hub.viewerCount(t.slug) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  assert.equal((await scrape())('livelog_viewers', { stream: t.slug }), undefined, 'a stream nobody watches leaves no series');
});

test('metrics are served on their own port only: the public port and other paths answer 404', async () => {
  assert.equal((await t.app.inject({ method: 'GET', url: '/metrics' })).statusCode, 404);
  const other = await fetch(`http://127.0.0.1:${METRICS_PORT}/`);
  assert.equal(other.status, 404);
  const post = await fetch(`http://127.0.0.1:${METRICS_PORT}/metrics`, { method: 'POST', body: 'x'.repeat(10_000) });
  assert.equal(post.status, 404);
  await assert.rejects(serveProcessMetrics({ ...t.app.livelog.config, PORT: METRICS_PORT }, logger), /must not be the public PORT/);
  assert.equal(await serveProcessMetrics({ ...t.app.livelog.config, LIVELOG_METRICS_PORT: undefined }, logger), undefined);
});

test('a database call that fails is counted by its operation', async () => {
  // A real failure, not a stand-in: a projection whose connection to the database has been closed.
  const connection = await connectDatabase(databaseUrl(), t.database.db.databaseName);
  const other = (await loadStreamProjection(new MongoChangeStore(connection), t.slug))!;
  await connection.close();
  const actor = { id: t.author._id, name: t.author.name, admin: false };
  await assert.rejects(publishPost(other, { actor, body: 'Lost in transit', key: 'closed-connection-1' }), DatabaseUnavailable);
  const value = await scrape();
  assert.ok(value('livelog_db_errors_total', { operation: 'append' })! >= 1, 'the failed append is counted');
  assert.equal(value('livelog_db_errors_total', { operation: 'load' }), undefined, 'under its own operation only');
});
