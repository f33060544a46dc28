import { randomBytes } from 'node:crypto';
import { test, expect, type Locator, type Page } from './fixtures.ts';
import { connectDatabase } from '../server/db/database.ts';
import { Users } from '../server/auth/users.ts';
import { E2E_DATABASE } from '../playwright.config.ts';
import { seed, type Seeded } from './seed.ts';

// An organiser makes a stream private and shares a viewer link: its holder watches live, anyone
// else finds nothing there, and the home page lists only public streams. Revoking the link cuts
// its holder off at once.

let hidden: Seeded;
let listed: Seeded;
const admin = { name: `admin-${randomBytes(4).toString('hex')}`, password: 'organiser of the evening' };
test.beforeAll(async () => {
  hidden = await seed('Company all-hands');
  listed = await seed('Town fair');
  const database = await connectDatabase(process.env.MONGODB_URL!, E2E_DATABASE);
  try {
    await new Users(database).add(admin.name, admin.password, true);
  } finally {
    await database.close();
  }
});

async function organiserPage(page: Page): Promise<Locator> {
  await page.goto('/admin');
  await page.getByLabel('Name').fill(admin.name);
  await page.getByLabel('Password').fill(admin.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('heading', { name: 'Admin', level: 1 })).toBeVisible();
  return page.locator(`.visibility-controls[data-stream="${hidden.slug}"]`);
}

const publish = async (request: import('@playwright/test').APIRequestContext, body: string) =>
  expect((await request.post(`/api/streams/${hidden.slug}/posts`, { headers: { authorization: `Bearer ${hidden.token}` }, data: { body } })).status()).toBe(201);

test('a private stream: its viewer link lets one watch live until revoked; everyone else gets a 404; the home page lists public streams only', async ({ browser, request }) => {
  const organiser = await (await browser.newContext()).newPage();
  const controls = await organiserPage(organiser);
  await controls.getByLabel('Visibility').selectOption('private');
  await controls.getByRole('button', { name: 'Set visibility' }).click();
  await expect(organiser.getByRole('status')).toHaveText('Visibility set.');
  await expect(controls.getByLabel('Visibility')).toHaveValue('private');
  await controls.getByRole('button', { name: 'New viewer link' }).click();
  const link = await organiser.getByLabel('Viewer link', { exact: true }).inputValue();
  expect(link).toMatch(new RegExp(`/s/${hidden.slug}\\?key=[A-Za-z0-9_-]{43}$`));

  const viewer = await (await browser.newContext()).newPage();
  await viewer.goto(link);
  await expect(viewer).toHaveURL(new RegExp(`/s/${hidden.slug}$`)); // the key left the address bar
  await expect(viewer.locator('#live-status')).toHaveAttribute('data-state', 'live');
  await publish(request, 'Results of the quarter');
  await expect(viewer.locator('.post').filter({ hasText: 'Results of the quarter' })).toBeVisible({ timeout: 3000 });

  const stranger = await (await browser.newContext()).newPage();
  expect((await stranger.goto(`/s/${hidden.slug}`))?.status()).toBe(404);
  await expect(stranger.getByText('We could not find that stream')).toBeVisible();
  await stranger.goto('/');
  await expect(stranger.locator(`[data-stream="${listed.slug}"]`)).toBeVisible();
  await expect(stranger.locator(`[data-stream="${hidden.slug}"]`)).toHaveCount(0);
  await expect(stranger.getByText('Company all-hands')).toHaveCount(0);

  await organiser.goto('/admin');
  await controls.getByRole('button', { name: 'Revoke all links' }).click();
  await expect(organiser.getByRole('status')).toHaveText(/Viewer links revoked/);
  await expect(viewer.locator('#live-status')).toHaveAttribute('data-state', 'gone', { timeout: 10_000 });
  await publish(request, 'After the link was revoked');
  expect((await viewer.reload())?.status()).toBe(404);
  await expect(viewer.getByText('After the link was revoked')).toHaveCount(0);
});

for (const width of [1280, 375]) {
  test(`the admin page's visibility controls at ${width} px`, async ({ browser }) => {
    const page = await (await browser.newContext({ viewport: { width, height: 900 } })).newPage();
    const controls = await organiserPage(page);
    await controls.getByRole('button', { name: 'New viewer link' }).click();
    await expect(page.getByLabel('Viewer link', { exact: true })).toBeVisible();
    await page.screenshot({ path: `test-results/d-visibility-admin-${width}.png`, fullPage: true });
    const row = page.locator('tr').filter({ has: page.locator(`.visibility-controls[data-stream="${hidden.slug}"]`) });
    await row.screenshot({ path: `test-results/d-visibility-controls-${width}.png` });
    // Nothing overflows the viewport sideways.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
  });
}
