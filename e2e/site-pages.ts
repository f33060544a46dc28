import { randomBytes } from 'node:crypto';
import { expect, type APIRequestContext, type Browser, type Page } from '@playwright/test';
import { connectDatabase } from '../server/db/database.ts';
import { Users } from '../server/auth/users.ts';
import { E2E_DATABASE } from '../playwright.config.ts';
import { seed, type Seeded } from './seed.ts';
import { exportStream, logIn } from './helpers.ts';

// Every kind of page the site shows, as a table: the design and accessibility specs walk the same
// list, so a new page (the embed) is one more row.

export interface Site {
  s: Seeded;
  admin: { name: string; password: string };
  exported: string;
  /** A key post with a headline: the no-JavaScript edit page opens it. */
  keyPostId: string;
}

export interface SitePage {
  name: string;
  /** Who looks at it: signs in (or not) in the page's own context, then opens the page. */
  open(page: Page, site: Site): Promise<void>;
}

/** A stream with posts that stress the layout (a long link, a long word, a table), an admin, and its export. */
export async function setUpSite(request: APIRequestContext): Promise<Site> {
  const s = await seed('Election night: the count, live');
  const admin = { name: `admin-${randomBytes(4).toString('hex')}`, password: 'admin of the evening' };
  const database = await connectDatabase(process.env.MONGODB_URL!, E2E_DATABASE);
  try {
    await new Users(database).add(admin.name, admin.password, true);
  } finally {
    await database.close();
  }
  const bodies = [
    'Polls have closed. Counting starts in **all 650** constituencies.',
    `Results feed: https://example.org/results/${'constituency-'.repeat(12)}final and a word ${'Überwachungskamera'.repeat(5)}`,
    '| Party | Seats | Change |\n|---|---|---|\n| Blue | 301 | +12 |\n| Red | 244 | −9 |\n| Yellow | 61 | +3 |\n| Green | 4 | +1 |',
    '> “A long night ahead,” says the returning officer.\n\nTurnout looks higher than in 2024.',
  ];
  for (const body of bodies) {
    const response = await request.post(`/api/streams/${s.slug}/posts`, { headers: { authorization: `Bearer ${s.token}` }, data: { body } });
    expect(response.status()).toBe(201);
  }
  // A key moment with a headline, so every page shows the key-moments list and a key post too.
  const auth = { authorization: `Bearer ${s.token}` };
  const key = await request.post(`/api/streams/${s.slug}/posts`, { headers: auth, data: { headline: 'Blue holds the first seat', body: 'Declared at 23:04 after a recount.' } });
  expect(key.status()).toBe(201);
  const { id } = (await key.json()) as { id: string };
  expect((await request.patch(`/api/streams/${s.slug}/posts/${id}`, { headers: auth, data: { key: true } })).status()).toBe(200);
  return { s, admin, exported: await exportStream(s), keyPostId: id };
}

async function logInAsAdmin(page: Page, site: Site): Promise<void> {
  await page.goto('/login?next=/admin');
  await page.getByLabel('Name').fill(site.admin.name);
  await page.getByLabel('Password').fill(site.admin.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('heading', { name: 'Admin', level: 1 })).toBeVisible();
}

export const SITE_PAGES: SitePage[] = [
  { name: 'home', open: (page) => page.goto('/').then(() => {}) },
  { name: 'login', open: (page) => page.goto('/login').then(() => {}) },
  {
    name: 'live',
    open: async (page, { s }) => {
      await page.goto(`/s/${s.slug}`);
      await expect(page.locator('#live-status')).toHaveAttribute('data-state', 'live');
    },
  },
  {
    name: 'author',
    open: async (page, { s }) => {
      await logIn(page, s);
      await expect(page.locator('#live-status')).toHaveAttribute('data-state', 'live');
    },
  },
  { name: 'admin', open: logInAsAdmin },
  {
    name: 'edit',
    open: async (page, { s, keyPostId }) => {
      await logIn(page, s);
      await page.goto(`/s/${s.slug}/posts/${keyPostId}/edit`);
      await expect(page.locator('textarea[name="body"]')).toBeVisible();
    },
  },
  {
    name: 'embed',
    open: async (page, { s }) => {
      await page.goto(`/s/${s.slug}/embed`);
      await expect(page.locator('#posts article.post').first()).toBeVisible();
    },
  },
  { name: 'error', open: (page) => page.goto('/s/no-such-stream-here').then(() => {}) },
  { name: 'export', open: (page, { exported }) => page.goto(`file://${exported}`).then(() => {}) },
];

/** A fresh context at this width and colour scheme, the page opened in it. */
export async function openSitePage(browser: Browser, site: Site, entry: SitePage, width: number, colorScheme: 'light' | 'dark'): Promise<Page> {
  const context = await browser.newContext({ viewport: { width, height: 800 }, colorScheme });
  const page = await context.newPage();
  await entry.open(page, site);
  return page;
}

/** How far the page scrolls sideways: 0 when nothing is wider than the screen. */
export function sidewaysOverflow(page: Page): Promise<number> {
  return page.evaluate(() => document.scrollingElement!.scrollWidth - document.scrollingElement!.clientWidth);
}
