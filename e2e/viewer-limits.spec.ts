import { test, expect } from './fixtures.ts';
import { seed } from './seed.ts';
import { shownPosts } from './helpers.ts';
import { startLivelog } from './processes.ts';
import { E2E_DATABASE, OWN_SERVER_PORTS } from '../playwright.config.ts';

test('a viewer turned away by the per-address cap waits, then gets in by itself when a place frees, with everything posted meanwhile', async ({ browser, request }) => {
  test.setTimeout(60_000);
  const s = await seed('A small venue');
  const server = await startLivelog(OWN_SERVER_PORTS.viewerLimits, { MONGODB_URL: process.env.MONGODB_URL!, LIVELOG_DB: E2E_DATABASE, LIVELOG_MAX_VIEWERS_PER_ADDRESS: '1' });
  try {
    const first = await (await browser.newContext()).newPage();
    await first.goto(`${server.url}/s/${s.slug}`);
    await expect(first.locator('#live-status')).toHaveAttribute('data-state', 'live');

    const second = await (await browser.newContext()).newPage();
    await second.goto(`${server.url}/s/${s.slug}`);
    // The page itself is served; only its live connection is refused (429), and it keeps trying.
    await expect(second.locator('#live-status')).toHaveAttribute('data-state', 'reconnecting');

    const published = await request.post(`${server.url}/api/streams/${s.slug}/posts`, {
      headers: { authorization: `Bearer ${s.token}` },
      data: { body: 'Posted while the second viewer waited' },
    });
    expect(published.status()).toBe(201);
    await expect(first.locator('.post')).toContainText(['Posted while the second viewer waited']);

    await first.context().close();
    await expect(second.locator('#live-status')).toHaveAttribute('data-state', 'live', { timeout: 30_000 });
    await expect.poll(() => shownPosts(second)).toEqual([expect.stringContaining('Posted while the second viewer waited')]);
  } finally {
    await server.stop();
  }
});
