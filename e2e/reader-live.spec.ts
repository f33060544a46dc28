import { test, expect, type Page } from './fixtures.ts';
import { seed, type Seeded } from './seed.ts';

// The reader's page follows key moments (the list at the top, an opt-in notification while the tab
// is hidden), puts new posts at the bottom when oldest-first, and starts a permalink at its post.
// These need engineer A's markup and frames (issue 9): each test says so and skips without them.

let s: Seeded;
test.beforeAll(async () => {
  s = await seed('Election night');
});

const api = (page: Page) => ({
  publish: async (body: string) =>
    (await (await page.request.post(`/api/streams/${s.slug}/posts`, { headers: { authorization: `Bearer ${s.token}` }, data: { body } })).json()) as { id: string },
  markKey: async (id: string, key: boolean) =>
    expect((await page.request.patch(`/api/streams/${s.slug}/posts/${id}`, { headers: { authorization: `Bearer ${s.token}` }, data: { key } })).status()).toBe(200),
  pin: async (id: string) =>
    expect((await page.request.patch(`/api/streams/${s.slug}/posts/${id}`, { headers: { authorization: `Bearer ${s.token}` }, data: { pinned: true } })).status()).toBe(200),
});

const openLive = async (page: Page, query = '') => {
  await page.goto(`/s/${s.slug}${query}`);
  await expect(page.locator('#live-status')).toHaveAttribute('data-state', 'live');
};

for (const width of [1280, 375]) {
  test.describe(`at ${width} px`, () => {
    test.use({ viewport: { width, height: 800 } });

    test('the key-moments list gains and loses entries live', async ({ page }) => {
      await openLive(page);
      const { publish, markKey } = api(page);
      const post = await publish(`Turnout passes 60% (${width})`);
      const entry = page.locator(`nav.key-moments a[data-post-id="${post.id}"]`);
      await expect(entry).toHaveCount(0);
      await markKey(post.id, true);
      await expect(entry).toContainText(`Turnout passes 60% (${width})`);
      await expect(entry).toHaveAttribute('href', `/s/${s.slug}/p/${post.id}`);
      await expect(page.locator('nav.key-moments')).toBeVisible();
      await page.screenshot({ path: `test-results/d-key-moments-${width}.png` });
      await markKey(post.id, false);
      await expect(entry).toHaveCount(0);
    });

    test('"Notify me of key moments" asks on click and notifies only while the tab is hidden', async ({ page }) => {
      await page.addInitScript(() => {
        const shown: string[] = [];
        class FakeNotification {
          static permission = 'default';
          static async requestPermission() {
            FakeNotification.permission = 'granted';
            return 'granted';
          }
          constructor(title: string, options: { body: string }) {
            shown.push(`${title}: ${options.body}`);
          }
          addEventListener() {}
        }
        Object.assign(window, { Notification: FakeNotification, shownNotifications: shown });
      });
      const { publish, markKey, pin } = api(page);
      // A key moment from before the reader came: pinning it later is not news.
      const earlier = await publish(`Polls closed (${width})`);
      await markKey(earlier.id, true);
      await openLive(page);
      const shown = () => page.evaluate(() => (window as unknown as { shownNotifications: string[] }).shownNotifications);
      const button = page.getByRole('button', { name: 'Notify me of key moments' });
      await expect(button).toHaveAttribute('aria-pressed', 'false');
      await button.click();
      await expect(button).toHaveAttribute('aria-pressed', 'true');
      const seen = await publish(`Seen while reading (${width})`);
      await markKey(seen.id, true);
      await expect(page.locator(`nav.key-moments a[data-post-id="${seen.id}"]`)).toHaveCount(1);
      expect(await shown()).toEqual([]); // the reader is looking at the page
      await page.evaluate(() => {
        Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
        document.dispatchEvent(new Event('visibilitychange'));
      });
      await pin(earlier.id);
      await expect(page.locator(`#post-${earlier.id}`)).toHaveAttribute('data-pinned', 'true');
      const away = await publish(`Result declared (${width})`);
      await markKey(away.id, true);
      await expect.poll(shown).toEqual([`Election night: Result declared (${width})`]);
    });

    test('oldest first: a new post joins the bottom of the list', async ({ page }) => {
      const { publish } = api(page);
      await publish(`First count (${width})`);
      await openLive(page, '?order=oldest');
      const latest = await publish(`Latest count (${width})`);
      await expect(page.locator('#posts > article.post').last()).toHaveAttribute('id', `post-${latest.id}`);
    });

    test('a permalink starts at its post, scrolled into view and focused', async ({ page }) => {
      const { publish } = api(page);
      const target = await publish(`The moment to link to (${width})`);
      for (let i = 0; i < 8; i++) await publish(`Later update ${i} (${width}) ${'with some length to push the page down. '.repeat(4)}`);
      const response = await page.goto(`/s/${s.slug}/p/${target.id}`);
      expect(response?.status()).toBe(200);
      const post = page.locator(`#post-${target.id}`);
      await expect(post).toHaveClass(/highlighted/);
      await expect(post).toBeFocused();
      await expect(post).toBeInViewport();
    });
  });
}
