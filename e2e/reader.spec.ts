import { test, expect, type Page } from './fixtures.ts';
import { seed, type Seeded } from './seed.ts';

// What a reader's page does beyond showing posts: the hidden tab counts updates in its title, and
// Share copies a post's absolute link.

let s: Seeded;
test.beforeAll(async () => {
  s = await seed('Night race');
});

const publish = async (page: Page, body: string) => {
  const response = await page.request.post(`/api/streams/${s.slug}/posts`, { headers: { authorization: `Bearer ${s.token}` }, data: { body } });
  return (await response.json()) as { id: string };
};

/** Makes the page believe its tab is hidden (or shown again), as switching tabs would. */
const setVisibility = (page: Page, state: 'hidden' | 'visible') =>
  page.evaluate((wanted) => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => wanted });
    document.dispatchEvent(new Event('visibilitychange'));
  }, state);

for (const width of [1280, 375]) {
  test.describe(`at ${width} px`, () => {
    test.use({ viewport: { width, height: 800 } });

    test('while the tab is hidden the title counts new updates, and loses the count when shown', async ({ page }) => {
      await page.goto(`/s/${s.slug}`);
      await expect(page.locator('#live-status')).toHaveAttribute('data-state', 'live');
      await expect(page).toHaveTitle('Night race · Livelog');
      await setVisibility(page, 'hidden');
      await publish(page, 'Lap 1');
      await publish(page, 'Lap 2');
      await expect(page).toHaveTitle('(2) Night race · Livelog');
      await publish(page, 'Lap 3');
      await expect(page).toHaveTitle('(3) Night race · Livelog');
      await setVisibility(page, 'visible');
      await expect(page).toHaveTitle('Night race · Livelog');
    });

    test('Share copies the post’s absolute link and says so', async ({ page, context, baseURL }) => {
      await context.grantPermissions(['clipboard-read', 'clipboard-write']);
      // Where a share sheet exists the browser's own is used; here, the clipboard path.
      await page.addInitScript(() => delete (Navigator.prototype as { share?: unknown }).share);
      const post = await publish(page, `Pit stop (${width})`);
      await page.goto(`/s/${s.slug}`);
      await expect(page.locator('#live-status')).toHaveAttribute('data-state', 'live'); // the page's script runs
      const share = page.locator(`#post-${post.id} button.share`);
      await share.click();
      await expect(page.locator(`#post-${post.id} [role=status]`)).toHaveText('Link copied');
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(`${baseURL}/s/${s.slug}/p/${post.id}`);
    });
  });
}
