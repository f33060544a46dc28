import { randomBytes } from 'node:crypto';
import { test, expect, type Page } from './fixtures.ts';
import { connectDatabase } from '../server/db/database.ts';
import { Users } from '../server/auth/users.ts';
import { E2E_DATABASE } from '../playwright.config.ts';
import { seed, type Seeded } from './seed.ts';
import { logIn } from './helpers.ts';

let s: Seeded;
const admin = { name: `admin-${randomBytes(4).toString('hex')}`, password: 'admin of the evening' };
test.beforeAll(async () => {
  s = await seed('Night of the results');
  const database = await connectDatabase(process.env.MONGODB_URL!, E2E_DATABASE);
  try {
    await new Users(database).add(admin.name, admin.password, true);
  } finally {
    await database.close();
  }
});

async function adminPage(page: Page): Promise<void> {
  await page.goto('/admin');
  await page.getByLabel('Name').fill(admin.name);
  await page.getByLabel('Password').fill(admin.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('heading', { name: 'Admin', level: 1 })).toBeVisible();
}

test('an admin disables an author on /admin: the author is logged out on their next request; a role change takes effect', async ({ browser }) => {
  const author = await (await browser.newContext()).newPage();
  await logIn(author, s);
  await expect(author.locator('.who')).toContainText(s.author);

  const boss = await (await browser.newContext()).newPage();
  await adminPage(boss);
  const row = boss.locator(`tr[data-user="${s.author}"]`);
  await row.getByRole('button', { name: `Disable ${s.author}` }).click();
  await expect(boss.getByRole('status')).toHaveText('User changed.');
  await expect(row).toContainText('disabled');

  await author.reload();
  await expect(author.getByRole('link', { name: 'Log in' })).toBeVisible();
  await expect(author.locator('.who')).toHaveCount(0);
  // And the author cannot come back in while disabled.
  await author.goto('/login');
  await author.getByLabel('Name').fill(s.author);
  await author.getByLabel('Password').fill(s.password);
  await author.getByRole('button', { name: 'Log in' }).click();
  await expect(author.getByRole('alert')).toContainText('This account is disabled');

  await row.getByRole('button', { name: `Enable ${s.author}` }).click();
  await expect(row).toContainText('enabled');
  await row.getByRole('button', { name: `Make ${s.author} an admin` }).click();
  await expect(row).toContainText('admin');

  await logIn(author, s);
  await author.getByRole('link', { name: 'Admin' }).click();
  await expect(author.getByRole('heading', { name: 'Admin', level: 1 })).toBeVisible();

  await row.getByRole('button', { name: `Make ${s.author} an author` }).click();
  await expect(row.locator('td').nth(1)).toHaveText('author');
  await author.reload();
  await expect(author.getByText('Only an admin can see this page')).toBeVisible();
});

test('the admin page refuses a weak password for a new user, saying why', async ({ page }) => {
  await adminPage(page);
  await page.getByLabel('Name', { exact: true }).last().fill(`weak-${randomBytes(3).toString('hex')}`);
  await page.locator('form[action="/admin/users"] input[name="password"]').fill('password123');
  await page.getByRole('button', { name: 'Add user' }).click();
  await expect(page.getByText(/This password is too weak/)).toBeVisible();
});
