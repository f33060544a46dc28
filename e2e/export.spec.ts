import { test, expect } from './fixtures.ts';
import { E2E_DATABASE, OWN_PROCESS_TIMEOUT_MS } from '../playwright.config.ts';
import { connectDatabase } from '../server/db/database.ts';
import { MongoChangeStore } from '../server/log/mongo-store.ts';
import { loadStreamProjection } from '../server/log/projection.ts';
import { seed, type Seeded } from './seed.ts';
import { exportStream } from './helpers.ts';

// The exported folder opened from disk, without a server or script: it says the stream ended, and
// its key moments and permalinks are anchors inside the file, so they work offline.

let s: Seeded;
let exported: string;
const keyIds: string[] = [];

/** Marks a post as a key moment with a headline, as the author's key action will (a whole-state change). */
async function markKey(postId: string, headline: string) {
  const database = await connectDatabase(process.env.MONGODB_URL!, E2E_DATABASE);
  try {
    const projection = (await loadStreamProjection(new MongoChangeStore(database), s.slug))!;
    const by = { id: 'e2e-admin', name: 'e2e admin' };
    await projection.append({
      key: `key-${postId}`,
      fingerprint: `key-${postId}`,
      decide: (state) => ({ type: 'pin', by, postId, post: { ...state.post(postId)!.post, key: true, headline } }),
    });
  } finally {
    await database.close();
  }
}

test.beforeAll(async ({ request }) => {
  test.setTimeout(OWN_PROCESS_TIMEOUT_MS);
  s = await seed('Marathon');
  const auth = { authorization: `Bearer ${s.token}` };
  const ids: string[] = [];
  for (let km = 1; km <= 30; km++) {
    const response = await request.post(`/api/streams/${s.slug}/posts`, { headers: auth, data: { body: `Kilometre **${km}**: the leaders pass the ${km}th marker.\n\nThe pack follows.` } });
    expect(response.status()).toBe(201);
    ids.push((await response.json()).id);
  }
  await markKey(ids[2]!, 'The break goes at km 3');
  await markKey(ids[19]!, 'A new leader at km 20');
  keyIds.push(ids[2]!, ids[19]!);
  expect((await request.put(`/api/streams/${s.slug}/status`, { headers: auth, data: { status: 'ended' } })).status()).toBe(200);
  exported = await exportStream(s);
});

for (const width of [1280, 375]) {
  test(`the export from disk at ${width} px: ended, key moments lead to their posts offline`, async ({ browser }) => {
    const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width, height: 800 } });
    const page = await context.newPage();
    await page.route(/^https?:/, (route) => route.abort()); // offline: nothing may come from a network
    await page.goto(`file://${exported}`);
    await expect(page.locator('h1')).toHaveText('Marathon');
    await expect(page.locator('#live-status')).toContainText('This stream has ended');
    await expect(page.locator('#live-status')).toContainText('Last updated');
    const moments = page.locator('nav.key-moments li a');
    await expect(moments).toHaveCount(2);
    await expect(moments.first()).toContainText('The break goes at km 3');
    await expect(moments.nth(1)).toContainText('A new leader at km 20');
    await page.screenshot({ path: `test-results/export-${width}.png` });

    await moments.first().click();
    await expect(page).toHaveURL(new RegExp(`#post-${keyIds[0]}$`));
    await expect(page.locator(`#post-${keyIds[0]}`)).toBeInViewport();
    await expect(page.locator(`#post-${keyIds[0]}`)).toContainText('Kilometre 3');
    await page.screenshot({ path: `test-results/export-${width}-key.png` });
    const sideways = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(sideways).toBeLessThanOrEqual(0);
    await context.close();
  });
}
