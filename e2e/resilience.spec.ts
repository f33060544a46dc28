import { test, expect, type APIRequestContext } from './fixtures.ts';
import { E2E_DATABASE, OWN_SERVER_PORTS, OWN_PROCESS_TIMEOUT_MS } from '../playwright.config.ts';
import { seed, type Seeded } from './seed.ts';
import { expectNoReload, logIn, shownPosts, viewerPage } from './helpers.ts';
import { ownDatabase, startLivelog } from './processes.ts';

// Nothing lost, nothing doubled: viewers and authors through network loss, server restarts and a
// database outage.

const api = (request: APIRequestContext, s: Seeded, base = '') => ({
  post: async (body: string) =>
    (await request.post(`${base}/api/streams/${s.slug}/posts`, { headers: { authorization: `Bearer ${s.token}` }, data: { body } })).json(),
  edit: (id: string, body: string) =>
    request.patch(`${base}/api/streams/${s.slug}/posts/${id}`, { headers: { authorization: `Bearer ${s.token}` }, data: { body } }),
  remove: (id: string) => request.delete(`${base}/api/streams/${s.slug}/posts/${id}`, { headers: { authorization: `Bearer ${s.token}` } }),
  /** What the database holds, in the order the page shows it (no pins in these tests: newest first). */
  expected: async () => {
    const { posts } = await (await request.get(`${base}/api/streams/${s.slug}/posts?since=0`)).json();
    return posts
      .filter((p: { deleted?: boolean }) => !p.deleted)
      .sort((a: { createdSeq: number }, b: { createdSeq: number }) => b.createdSeq - a.createdSeq)
      .map((p: { id: string; body: string }) => `${p.id}: ${p.body}`);
  },
});

test('a viewer that was offline while posts, an edit and a delete happened shows exactly the final state, without a reload', async ({ browser, request }) => {
  const s = await seed('Offline viewer');
  const a = api(request, s);
  const first = await a.post('first');
  const second = await a.post('second');
  const viewer = await viewerPage(browser, s);
  await viewer.context().setOffline(true);
  await expect(viewer.locator('#live-status')).toHaveAttribute('data-state', 'reconnecting');
  for (const body of ['one', 'two', 'three']) await a.post(body);
  expect((await a.edit(first.id, 'first, corrected')).status()).toBe(200);
  expect((await a.remove(second.id)).status()).toBe(200);
  await viewer.context().setOffline(false);
  await expect(viewer.locator('#live-status')).toHaveAttribute('data-state', 'live');
  const expected = await a.expected();
  await expect.poll(() => shownPosts(viewer)).toEqual(expected);
  await expectNoReload(viewer);
});

test('viewers recover by themselves when their server restarts, and get what was posted meanwhile', async ({ browser, request }) => {
  test.setTimeout(OWN_PROCESS_TIMEOUT_MS);
  const s = await seed('Server restart');
  const port = OWN_SERVER_PORTS.restart;
  const env = { MONGODB_URL: process.env.MONGODB_URL!, LIVELOG_DB: E2E_DATABASE };
  let server = await startLivelog(port, env);
  const base = server.url;
  try {
    const viewers = [await viewerPage(browser, s, base), await viewerPage(browser, s, base)];
    await api(request, s, base).post('before the restart');
    await server.stop();
    for (const viewer of viewers) await expect(viewer.locator('#live-status')).toHaveAttribute('data-state', 'reconnecting');
    // Published through the other instance while this one is down.
    await api(request, s).post('while the server was down');
    server = await startLivelog(port, env);
    await api(request, s, base).post('after the restart');
    const expected = await api(request, s, base).expected();
    expect(expected).toHaveLength(3);
    for (const viewer of viewers) {
      // The server said goodbye (1001) before it went: the page retries on a short cap, not on a
      // backoff grown through the whole outage, so it is back soon after the server is.
      await expect(viewer.locator('#live-status')).toHaveAttribute('data-state', 'live', { timeout: 10_000 });
      await expect.poll(() => shownPosts(viewer), { timeout: 20_000 }).toEqual(expected);
      await expectNoReload(viewer);
    }
  } finally {
    await server.stop();
  }
});

test("an author's draft survives a reload and a database outage, and publishes exactly once after it", async ({ browser, request }) => {
  test.setTimeout(90_000);
  const database = await ownDatabase();
  const s = await seed('Database outage', database.url);
  const server = await startLivelog(OWN_SERVER_PORTS.outage, { MONGODB_URL: database.url, LIVELOG_DB: E2E_DATABASE });
  const base = server.url;
  try {
    const viewer = await viewerPage(browser, s, base);
    const author = await (await browser.newContext()).newPage();
    await logIn(author, s, base);
    const text = 'Breaking: the stage lights are back on';
    await author.getByLabel(/New update/).fill(text);
    await author.reload();
    await expect(author.getByLabel(/New update/)).toHaveValue(text);

    await database.stop();
    const started = Date.now();
    await author.getByRole('button', { name: 'Publish' }).click();
    await expect(author.locator('#compose-status')).toContainText('Not published', { timeout: 10_000 });
    await expect(author.locator('#compose-status')).toContainText('database');
    expect(Date.now() - started).toBeLessThan(10_000);
    await expect(author.getByLabel(/New update/)).toHaveValue(text);
    // The sign-in cannot be checked now: the page comes as to a reader, and says why.
    await author.reload();
    await expect(author.locator('#sign-in-unchecked')).toBeVisible();
    await expect(author.getByLabel(/New update/)).toHaveCount(0);
    await expect(author.getByRole('link', { name: 'Log in' })).toHaveCount(0); // not asked to log in again
    await database.start();
    // It reloads by itself once the database answers, and the composer brings the draft back.
    await expect(author.getByLabel(/New update/)).toHaveValue(text, { timeout: 20_000 });
    await author.getByRole('button', { name: 'Publish' }).click();
    await expect(author.locator('#compose-status')).toHaveText('Published.', { timeout: 15_000 });
    await expect(viewer.locator('.post').filter({ hasText: text })).toHaveCount(1, { timeout: 15_000 });
    const { posts } = await (await request.get(`${base}/api/streams/${s.slug}/posts?since=0`)).json();
    expect(posts.filter((p: { body: string }) => p.body === text)).toHaveLength(1);
  } finally {
    await server.stop();
    await database.stop();
  }
});

test('words typed before the page script has loaded are kept as the draft', async ({ browser }) => {
  const s = await seed('Slow script');
  const author = await (await browser.newContext()).newPage();
  await logIn(author, s);
  // A slow connection: the form is there, its script not yet.
  let releaseScript = () => {};
  const scriptHeld = new Promise<void>((resolve) => (releaseScript = resolve));
  await author.route(/\/assets\/live[^/]*\.js$/, async (route) => {
    await scriptHeld;
    await route.continue();
  });
  await author.reload({ waitUntil: 'commit' });
  const text = 'Typed while the script was still on its way';
  await author.getByLabel(/New update/).fill(text);
  releaseScript();
  await author.waitForLoadState('load');
  await expect.poll(() => author.evaluate((slug) => localStorage.getItem(`livelog:draft:${slug}`), s.slug)).toContain(text);
  await author.unroute(/\/assets\/live[^/]*\.js$/);
  await author.reload();
  await expect(author.getByLabel(/New update/)).toHaveValue(text);
});

test('where websockets are blocked, the page falls back to Server-Sent Events and still updates live', async ({ browser, request }) => {
  const s = await seed('No websockets here');
  const context = await browser.newContext();
  const page = await context.newPage();
  // A proxy that refuses websocket upgrades.
  await page.routeWebSocket(/\/live/, (ws) => ws.close({ code: 1006, reason: 'blocked' }));
  const sse = page.waitForRequest((r) => r.url().includes(`/s/${s.slug}/events?since=`));
  await page.goto(`/s/${s.slug}`);
  await sse;
  await expect(page.locator('#live-status')).toHaveAttribute('data-state', 'live', { timeout: 15_000 });
  await api(request, s).post('delivered over SSE');
  await expect(page.locator('.post').filter({ hasText: 'delivered over SSE' })).toBeVisible();
});

test('a viewer that misses a live frame notices the jump in seqs and resumes exactly', async ({ browser, request }) => {
  const s = await seed('Lossy link');
  const page = await (await browser.newContext()).newPage();
  let dropped = 0;
  let lostSeq = -1;
  // A link that loses one message: the page must not show a hole.
  await page.routeWebSocket(/\/live/, (ws) => {
    const server = ws.connectToServer();
    server.onMessage((message) => {
      const frame = JSON.parse(String(message));
      if (frame.t === 'post' && frame.seq === lostSeq && dropped === 0) {
        dropped++;
        return;
      }
      ws.send(message);
    });
  });
  await page.goto(`/s/${s.slug}`);
  await expect(page.locator('#live-status')).toHaveAttribute('data-state', 'live');
  const a = api(request, s);
  const first = await a.post('one');
  lostSeq = first.seq + 1;
  await a.post('two (its frame is lost)');
  await a.post('three');
  await expect.poll(() => shownPosts(page)).toEqual(await a.expected());
  expect(dropped).toBe(1);
});

test('when an earlier attempt of a draft was published but its answer lost, changing and re-sending the draft says so and posts it anew', async ({ browser, request }) => {
  const s = await seed('Lost answer');
  const page = await (await browser.newContext()).newPage();
  await logIn(page, s);
  await page.getByLabel(/New update/).fill('First wording');
  // The first attempt reaches the server, but its answer never reaches the page.
  await page.route(`**/s/${s.slug}/posts`, async (route) => {
    await route.fetch();
    await route.abort('connectionreset');
  }, { times: 1 });
  await page.getByRole('button', { name: 'Publish' }).click();
  await expect(page.locator('#compose-status')).toContainText('cannot be reached');
  await page.getByLabel(/New update/).fill('Second wording');
  await page.getByRole('button', { name: 'Publish' }).click();
  await expect(page.locator('#compose-status')).toContainText('An earlier version of this draft was already published');
  await page.getByRole('button', { name: 'Publish' }).click();
  await expect(page.locator('#compose-status')).toHaveText('Published.');
  const { posts } = await (await request.get(`/api/streams/${s.slug}/posts`)).json();
  expect(posts.map((p: { body: string }) => p.body)).toEqual(['First wording', 'Second wording']);
});
