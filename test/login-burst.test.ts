import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { assetName } from '../server/render/assets.ts';
import { testApp, type TestApp } from './helpers.ts';
import { Browser } from './browser.ts';

// Against a real listening server: the harm of a login burst is to everything else the process
// serves (libuv's thread pool, memory), which inject() alone would not show.
let t: TestApp;
let base: string;
before(async () => {
  t = await testApp();
  base = await t.app.listen({ port: 0, host: '127.0.0.1' });
});
after(() => t.close());

const LOGINS = 30;
/** Two checks at once at 32 MiB each, plus buffers and garbage not yet collected; the unbounded
 *  code took 128 MiB per check for every login at once (500 MB and more for 24). */
const RSS_GROWTH_BOUND = 160 * 1024 * 1024;

test('30 parallel logins with made-up names: a stylesheet stays fast, every login gets a clear answer, memory stays bounded', async () => {
  const form = await fetch(`${base}/login`);
  const cookie = form.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const csrf = Browser.field(await form.text(), '_csrf');
  assert.equal((await fetch(`${base}/assets/${assetName('livelog.css')}`)).status, 200, 'the client is built (npm run build)');

  const rssBefore = process.memoryUsage().rss;
  let rssPeak = rssBefore;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 10);
  let burstOver = false;
  const stylesheetTimes: number[] = [];
  const stylesheets = (async () => {
    while (!burstOver) {
      const started = performance.now();
      const response = await fetch(`${base}/assets/${assetName('livelog.css')}`, { signal: AbortSignal.timeout(10_000) });
      await response.arrayBuffer();
      assert.equal(response.status, 200);
      stylesheetTimes.push(performance.now() - started);
    }
  })();
  const logins = await Promise.all(
    Array.from({ length: LOGINS }, async (_, i) => {
      const response = await fetch(`${base}/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
        body: new URLSearchParams({ _csrf: csrf, name: `made-up-${i}`, password: 'a guessed password' }),
        redirect: 'manual',
        signal: AbortSignal.timeout(20_000),
      });
      await response.text();
      return { status: response.status, retryAfter: response.headers.get('retry-after') };
    }),
  );
  burstOver = true;
  await stylesheets;
  clearInterval(sampler);

  for (const { status, retryAfter } of logins) {
    assert.ok([401, 429, 503].includes(status), `a clear answer, not ${status}`);
    if (status !== 401) assert.ok(Number(retryAfter) >= 1, `${status} says when to come back`);
  }
  assert.ok(logins.some((l) => l.status === 503), 'past the bound, logins are refused rather than queued');
  assert.ok(logins.some((l) => l.status === 401), 'the first ones are checked');
  assert.ok(stylesheetTimes.length >= 1);
  const slowest = Math.max(...stylesheetTimes);
  assert.ok(slowest < 500, `the stylesheet took ${slowest.toFixed(0)} ms during the burst`);
  const growth = rssPeak - rssBefore;
  assert.ok(growth < RSS_GROWTH_BOUND, `RSS grew by ${(growth / 1024 / 1024).toFixed(0)} MiB`);
  assert.equal((await fetch(`${base}/healthz`)).status, 200);
});
