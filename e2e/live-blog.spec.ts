import { test, expect } from './fixtures.ts';
import { OWN_PROCESS_TIMEOUT_MS } from '../playwright.config.ts';
import { seed, type Seeded } from './seed.ts';
import { exportStream, expectNoReload, logIn, viewerPage } from './helpers.ts';

let s: Seeded;
test.beforeAll(async () => {
  s = await seed('Rocket launch');
});

test('an author posts; open viewers see it live, a late viewer sees it from history, the export shows it', async ({ browser }) => {
  test.setTimeout(OWN_PROCESS_TIMEOUT_MS);
  const viewers = [await viewerPage(browser, s), await viewerPage(browser, s)];

  const author = await (await browser.newContext()).newPage();
  await logIn(author, s);
  await author.getByLabel(/New update/).fill('**Lift-off!** Watch at https://example.com/live <script>alert(1)</script>');
  const published = Date.now();
  await author.getByRole('button', { name: 'Publish' }).click();
  await expect(author.locator('#compose-status')).toHaveText('Published.');
  await expect(author).toHaveURL(new RegExp(`/s/${s.slug}$`)); // published without leaving the page
  await expect(author.getByLabel(/New update/)).toHaveValue('');

  for (const viewer of viewers) {
    const post = viewer.locator('.post').filter({ hasText: 'Lift-off!' });
    await expect(post).toBeVisible({ timeout: 2000 });
    await expect(post.locator('strong')).toHaveText('Lift-off!');
    await expect(post.locator('a[href="https://example.com/live"]')).toBeVisible();
    await expect(post.locator('.post-author')).toHaveText(s.author);
    await expect(post).toContainText('<script>alert(1)</script>'); // shown as text
    await expectNoReload(viewer);
  }
  expect(Date.now() - published).toBeLessThan(3000);
  // Two viewers and the author's own page are watching.
  for (const viewer of viewers) await expect(viewer.locator('#viewers')).toHaveText('· 3 viewers');

  const late = await viewerPage(browser, s);
  await expect(late.locator('.post').filter({ hasText: 'Lift-off!' })).toBeVisible();

  // A second post while everyone watches, newest on top.
  await author.getByLabel(/New update/).fill('Stage separation confirmed');
  await author.getByRole('button', { name: 'Publish' }).click();
  for (const viewer of [...viewers, late]) {
    await expect(viewer.locator('.post').first()).toContainText('Stage separation confirmed');
    await expect(viewer.locator('.post')).toHaveCount(2);
  }

  const exported = await exportStream(s);
  const reader = await (await browser.newContext({ javaScriptEnabled: false })).newPage();
  await reader.goto(`file://${exported}`);
  await expect(reader.locator('h1')).toHaveText('Rocket launch');
  await expect(reader.locator('.post')).toHaveCount(2);
  await expect(reader.locator('.post').first()).toContainText('Stage separation confirmed');
  await expect(reader.locator('.post').nth(1).locator('strong')).toHaveText('Lift-off!');
  await expect(reader.locator('.post-author').first()).toHaveText(s.author);
  await expect(reader.locator('.post time').first()).toContainText('UTC');
});

test('a late joiner after 100 posts sees them all: the newest first, older ones one click away', async ({ browser, request }) => {
  for (let i = 1; i <= 100; i++) {
    const response = await request.post(`/api/streams/${s.slug}/posts`, {
      headers: { authorization: `Bearer ${s.token}` },
      data: { body: `Lap ${i}` },
    });
    expect(response.status()).toBe(201);
  }
  const page = await (await browser.newContext()).newPage();
  await page.goto(`/s/${s.slug}`);
  await expect(page.locator('.post').first()).toContainText('Lap 100');
  const seen = new Set<string>();
  for (;;) {
    for (const text of await page.locator('.post-body').allTextContents()) {
      const match = /Lap (\d+)/.exec(text);
      if (match) seen.add(match[1]!);
    }
    const older = page.getByRole('link', { name: 'Load older updates' });
    if ((await older.count()) === 0) break;
    await older.click();
  }
  expect(seen.size).toBe(100);
});

test('an author without JavaScript posts with the plain form and sees the post after the redirect', async ({ browser }) => {
  const page = await (await browser.newContext({ javaScriptEnabled: false })).newPage();
  await logIn(page, s);
  await page.getByLabel(/New update/).fill('Posted from a phone with scripts off');
  await page.getByRole('button', { name: 'Publish' }).click();
  await expect(page).toHaveURL(/\?at=\d+#post-/);
  await expect(page.locator('.post').first()).toContainText('Posted from a phone with scripts off');
});
