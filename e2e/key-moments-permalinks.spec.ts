import { test, expect, type APIRequestContext } from './fixtures.ts';
import { Users } from '../server/auth/users.ts';
import { connectDatabase } from '../server/db/database.ts';
import { E2E_DATABASE } from '../playwright.config.ts';
import { seed, type Seeded } from './seed.ts';
import { logIn } from './helpers.ts';

// Key moments, permalinks at any depth, the reader's order toggle, the authors' actions without
// JavaScript, and a signed-in non-author's page, at a desktop and a phone width.

let s: Seeded;
const ids: string[] = [];
const READER = { name: `reader-${Date.now().toString(36)}`, password: 'e2e password 123' };

async function publish(request: APIRequestContext, body: string, headline?: string): Promise<string> {
  const response = await request.post(`/api/streams/${s.slug}/posts`, { headers: { authorization: `Bearer ${s.token}` }, data: { body, headline } });
  expect(response.status()).toBe(201);
  return (await response.json()).id;
}

test.beforeAll(async ({ request }) => {
  s = await seed('A long match day');
  for (let i = 1; i <= 160; i++) ids.push(await publish(request, `Update number ${i}`, i === 30 ? 'The thirtieth update' : undefined));
  const database = await connectDatabase(process.env.MONGODB_URL!, E2E_DATABASE);
  await new Users(database).add(READER.name, READER.password).finally(() => database.close());
});

for (const width of [1280, 375]) {
  test.describe(`at ${width} px`, () => {
    test.use({ viewport: { width, height: width === 375 ? 740 : 900 } });

    test('a permalink to a post on page 3 shows that page with the post highlighted and in view', async ({ page }) => {
      const target = ids[29]!;
      await page.goto(`/s/${s.slug}/p/${target}`);
      await expect(page).toHaveURL(new RegExp(`\\?post=${target}#post-${target}$`));
      const post = page.locator(`#post-${target}`);
      await expect(post).toHaveClass(/highlighted/);
      await expect(post).toHaveAttribute('aria-current', 'true');
      await expect(post.locator('.post-headline')).toHaveText('The thirtieth update');
      await expect(post).toBeInViewport();
      await expect(page.locator('#posts article.post').first()).toContainText('Update number 60');
      await expect(page.locator('#posts')).toHaveAttribute('data-live', 'false');
      await expect(page.locator('nav.pager')).toContainText('You are viewing earlier updates');
      await expect(page.locator('#live-status')).not.toContainText('Live page');
      await page.screenshot({ path: `/tmp/a/permalink-${width}.png` });
      await page.locator('nav.pager').getByRole('link', { name: 'Back to the latest' }).click();
      await expect(page.locator('#posts article.post').first()).toContainText('Update number 160');
      await expect(page.locator('#posts')).toHaveAttribute('data-live', 'true');
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
    });

    test('a key moment appears in the list at the top and links to its post', async ({ page, request }) => {
      const target = ids[9 + (width === 375 ? 1 : 0)]!;
      const marked = await request.patch(`/api/streams/${s.slug}/posts/${target}`, { headers: { authorization: `Bearer ${s.token}` }, data: { key: true } });
      expect(marked.status()).toBe(200);
      await page.goto(`/s/${s.slug}`);
      const list = page.locator('nav.key-moments');
      await expect(list).toBeVisible();
      const link = list.locator(`a[data-post-id="${target}"]`);
      await expect(link).toContainText(`Update number ${width === 375 ? 11 : 10}`);
      await page.screenshot({ path: `/tmp/a/key-moments-${width}.png` });
      await link.click();
      await expect(page.locator(`#post-${target}`)).toHaveClass(/highlighted/);
      await expect(page.locator(`#post-${target} .badge-key`)).toHaveText('Key moment');
      await expect(page.locator(`#post-${target}`)).toBeInViewport();
    });

    test('the reader switches to oldest first and pages on', async ({ page }) => {
      await page.goto(`/s/${s.slug}`);
      await page.locator('nav.order-toggle').getByRole('link', { name: 'Oldest first' }).click();
      await expect(page.locator('#posts')).toHaveAttribute('data-order', 'oldest');
      // Oldest first is still the live page: the newest 50, read down to the latest.
      await expect(page.locator('#posts')).toHaveAttribute('data-live', 'true');
      await expect(page.locator('#posts article.post').first()).toContainText('Update number 111');
      await expect(page.locator('#posts article.post').last()).toContainText('Update number 160');
      await page.getByRole('link', { name: 'From the first update' }).click();
      await expect(page.locator('#posts article.post').first()).toContainText('Update number 1');
      await page.getByRole('link', { name: 'Load later updates' }).click();
      await expect(page.locator('#posts article.post').first()).toContainText('Update number 51');
      await page.locator('nav.order-toggle').getByRole('link', { name: 'Newest first' }).click();
      await expect(page.locator('#posts article.post').first()).toContainText('Update number 160');
    });

    test('a signed-in user who is not an author sees no composer and no post actions', async ({ page }) => {
      await page.goto(`/login?next=/s/${s.slug}`);
      await page.getByLabel('Name').fill(READER.name);
      await page.getByLabel('Password').fill(READER.password);
      await page.getByRole('button', { name: 'Log in' }).click();
      await expect(page.getByText(`Signed in as ${READER.name}`)).toBeVisible();
      await expect(page.locator('#posts article.post').first()).toBeVisible();
      await expect(page.locator('#compose')).toHaveCount(0);
      await expect(page.locator('.post-actions')).toHaveCount(0);
      await expect(page.locator('#author-tools')).toHaveCount(0);
    });
  });
}

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });
  for (const width of [1280, 375]) {
    test(`an author pins, marks key, edits and deletes with plain forms at ${width} px`, async ({ page, request }) => {
      await page.setViewportSize({ width, height: 800 });
      const id = await publish(request, `Line-ups at ${width}`);
      await logIn(page, s);
      await expect(page.locator('noscript')).toHaveCount(1);
      const post = () => page.locator(`#post-${id}`);
      await post().getByRole('button', { name: /^Pin update by/ }).click();
      await expect(post()).toHaveClass(/pinned/);
      await expect(post()).toHaveClass(/highlighted/);
      await post().getByRole('button', { name: /^Mark key update by/ }).click();
      await expect(post().locator('.badge-key')).toHaveText('Key moment');
      await expect(page.locator(`nav.key-moments a[data-post-id="${id}"]`)).toBeVisible();
      await page.screenshot({ path: `/tmp/a/no-js-actions-${width}.png`, fullPage: false });
      await post().getByRole('link', { name: /^Edit update by/ }).click();
      await page.getByLabel('Headline').fill('Team news');
      await page.getByLabel('Edit post').fill(`Line-ups at ${width}: unchanged`);
      await page.getByRole('button', { name: 'Save' }).click();
      await expect(post().locator('.post-headline')).toHaveText('Team news');
      await post().getByRole('button', { name: /^Delete update by/ }).click();
      await expect(page.getByRole('heading', { name: 'Delete this update?' })).toBeVisible();
      await page.getByRole('button', { name: 'Delete the update' }).click();
      await expect(page.locator(`#post-${id}`)).toHaveCount(0);
      await expect(page.locator('#posts')).toHaveAttribute('data-live', 'true');
    });
  }
});
