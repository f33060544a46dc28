import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { publishPost } from '../server/log/commands.ts';
import { testApp, type TestApp } from './helpers.ts';
import { sseViewer, websocketViewer } from './viewer.ts';

// Under pressure on the real app (buildApp), with LIVELOG_MAX_EVENT_LOOP_DELAY_MS=50 and this
// process's own event loop kept busy: new work (a post, the page, a new SSE connection) is answered
// 503 with Retry-After, the viewers already attached keep receiving, the start and the end are
// logged once each, and posting works again once the load falls.

const lines: { level: number; component?: string; msg: string }[] = [];
const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
let t: TestApp;
let base: string;

before(async () => {
  t = await testApp({ LIVELOG_MAX_EVENT_LOOP_DELAY_MS: '50' }, logger);
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  base = `127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
});
after(async () => {
  busy = false;
  await t.close();
});

let busy = false;
/** Blocks the event loop 100 ms at a time, letting it turn once between blocks, while `busy`. */
function keepBusy(): void {
  if (!busy) return;
  const until = Date.now() + 100;
  while (Date.now() < until) {
    // busy: the event-loop delay is what under-pressure measures
  }
  setImmediate(keepBusy);
}

async function until(check: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`${what} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const post = (body: string) =>
  fetch(`http://${base}/api/streams/${t.slug}/posts`, {
    method: 'POST',
    headers: { authorization: `Bearer ${t.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ body }),
  });
const pressureLines = () => lines.filter((line) => line.component === 'pressure');

test('past the event-loop delay limit new work gets 503 with Retry-After, attached viewers keep receiving, and it is logged once at each end', { timeout: 30_000 }, async () => {
  // Starting calm: the start itself (loading code, a loaded machine) may have delayed the loop.
  await until(() => !t.app.isUnderPressure(), 10_000, 'no pressure before the test');
  const live = await websocketViewer(base, t.slug, '0');
  const events = await sseViewer(base, t.slug, { since: '0' });
  await Promise.all([live, events].map((v) => v.waitFor((f) => f.some((x) => x.t === 'hello'))));
  const before = pressureLines().length;

  busy = true;
  keepBusy();
  await until(() => t.app.isUnderPressure(), 5000, 'pressure');
  const refused = await post('Not now');
  assert.equal(refused.status, 503);
  assert.equal(refused.headers.get('retry-after'), '10');
  assert.equal((await refused.json()).code, 'LIVELOG_UNDER_PRESSURE');
  const page = await fetch(`http://${base}/s/${t.slug}`, { headers: { accept: 'text/html' } });
  assert.equal(page.status, 503);
  assert.ok(page.headers.get('retry-after'));
  const newViewer = await fetch(`http://${base}/s/${t.slug}/events`);
  assert.equal(newViewer.status, 503, 'a new SSE connection is new work');
  assert.ok(newViewer.headers.get('retry-after'));
  assert.equal((await fetch(`http://${base}/healthz`)).status, 200, 'a loaded process is alive');

  // A change stored meanwhile (through the app's own projection, as a scheduled post would be)
  // reaches the viewers already attached.
  const projection = (await t.app.livelog.projections.get(t.slug))!;
  const actor = { id: t.author._id, name: t.author.name, admin: false };
  const { record } = await publishPost(projection, { actor, body: 'Still delivered', key: 'under-pressure-1' });
  await Promise.all([live, events].map((v) => v.waitFor((f) => f.some((x) => x.seq === record.seq && x.t === 'post'))));
  assert.ok(t.app.isUnderPressure(), 'the change was delivered while under pressure');

  busy = false;
  await until(() => pressureLines().some((line, i) => i >= before && line.level === 30), 5000, 'the end of the pressure logged');
  const logged = pressureLines().slice(before);
  assert.deepEqual(logged.map((line) => [line.level, line.msg]), [
    [40, 'under pressure: new requests get 503 until the load falls'],
    [30, 'pressure over: serving new requests again'],
  ]);
  assert.equal((await post('Back to normal')).status, 201);
  for (const v of [live, events]) v.close();
});
