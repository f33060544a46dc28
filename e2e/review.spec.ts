import { AxeBuilder } from '@axe-core/playwright';
import { test, expect, type Browser, type Page } from './fixtures.ts';
import { E2E_DATABASE, OWN_PROCESS_TIMEOUT_MS } from '../playwright.config.ts';
import { MongoChangeStore } from '../server/log/mongo-store.ts';
import { connectDatabase } from '../server/db/database.ts';
import { roleChange, Users } from '../server/auth/users.ts';
import { loadStreamProjection } from '../server/log/projection.ts';
import { setAuthor } from '../server/log/commands.ts';
import { expectNoReload, viewerPage } from './helpers.ts';
import { startLivelog, type LivelogProcess } from './processes.ts';
import { seed, type Seeded } from './seed.ts';

// Contributors and approval in the browser: a contributor submits, editors on two instances see it
// arrive in their queue live and approve it at the same moment (one publication), a viewer sees it
// appear; a rejection's reason reaches the contributor. Screenshots of the queue land in test-results/.

/** A second instance on the same database, for the second editor (a port of this run's own). */
const SECOND_PORT = Number(process.env.E2E_REVIEW_PORT ?? Number(process.env.E2E_PORT ?? 3217) + 18);

interface Newsroom extends Seeded {
  contributor: string;
  secondEditor: string;
}

/** The stream of `seed` plus a contributor and a second author, all members of it. */
async function newsroom(): Promise<Newsroom> {
  const s = await seed('Cup final');
  const database = await connectDatabase(process.env.MONGODB_URL!, E2E_DATABASE);
  try {
    const users = new Users(database);
    const contributor = `stringer-${s.slug}`;
    const secondEditor = `editor-${s.slug}`;
    const projection = (await loadStreamProjection(new MongoChangeStore(database), s.slug))!;
    const admin = { id: 'e2e-admin', name: 'e2e admin', admin: true };
    for (const name of [contributor, secondEditor]) {
      const user = await users.add(name, s.password);
      await setAuthor(projection, { actor: admin, member: { id: user._id, name }, active: true, key: `member-${user._id}` });
    }
    await users.change(contributor, roleChange('contributor'));
    return { ...s, contributor, secondEditor };
  } finally {
    await database.close();
  }
}

async function signedIn(browser: Browser, s: Newsroom, name: string, base = '', timezoneId?: string): Promise<Page> {
  const page = await (await browser.newContext({ timezoneId })).newPage();
  await page.goto(`${base}/login?next=/s/${s.slug}`);
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Password').fill(s.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page).toHaveURL(new RegExp(`/s/${s.slug}$`));
  return page;
}

/** Serious or critical axe-core violations within the review part of the page. */
async function reviewViolations(page: Page): Promise<string[]> {
  const { violations } = await new AxeBuilder({ page }).include('#review').analyze();
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.help}`);
}

async function submit(page: Page, text: string): Promise<void> {
  await page.locator('#compose-body').fill(text);
  await page.getByRole('button', { name: 'Submit for review' }).click();
  await expect(page.locator('#compose-status')).toContainText('Sent for review');
}

let second: LivelogProcess | undefined;
test.afterAll(async () => {
  await second?.stop();
});

test('a contributor submits, two editors on two instances approve at once, a viewer sees it once', async ({ browser, request }) => {
  test.setTimeout(OWN_PROCESS_TIMEOUT_MS);
  const s = await newsroom();
  second = await startLivelog(SECOND_PORT, { MONGODB_URL: process.env.MONGODB_URL!, LIVELOG_DB: E2E_DATABASE });
  const contributor = await signedIn(browser, s, s.contributor);
  const editor = await signedIn(browser, s, s.author);
  const otherEditor = await signedIn(browser, s, s.secondEditor, second.url);
  const viewer = await viewerPage(browser, s);
  await expect(editor.locator('#review')).toBeHidden();
  await expect(contributor.locator('.post-actions, #status-form')).toHaveCount(0);
  await editor.evaluate(() => ((window as unknown as { marker: string }).marker = 'no reload'));

  const text = 'Stringer at the north stand: the captain is warming up, a start looks likely';
  await submit(contributor, text);
  await expect(contributor.locator('#review .status-pending')).toContainText('Waiting for review');
  const queued = editor.locator('#review .submission', { hasText: 'the captain is warming up' });
  await expect(queued).toBeVisible();
  await expectNoReload(editor);
  await expect(otherEditor.locator('#review .submission', { hasText: 'the captain is warming up' })).toBeVisible({ timeout: 10_000 });
  await expect(viewer.locator('#posts')).not.toContainText('captain');
  expect(await reviewViolations(editor)).toEqual([]);
  expect(await reviewViolations(contributor)).toEqual([]);

  for (const width of [375, 1280]) {
    await editor.setViewportSize({ width, height: 900 });
    await editor.locator('#review').scrollIntoViewIfNeeded();
    await editor.locator('#review').screenshot({ path: `test-results/review-queue-${width}.png` });
    await contributor.setViewportSize({ width, height: 900 });
    await contributor.screenshot({ path: `test-results/review-contributor-${width}.png` });
  }

  await Promise.all([
    editor.locator('#review .submission', { hasText: 'captain' }).getByRole('button', { name: /^Approve/ }).click(),
    otherEditor.locator('#review .submission', { hasText: 'captain' }).getByRole('button', { name: /^Approve/ }).click(),
  ]);
  await expect(viewer.locator('#posts article.post', { hasText: 'the captain is warming up' })).toHaveCount(1);
  await expectNoReload(viewer);
  for (const page of [editor, otherEditor]) await expect(page.locator('#review')).toBeHidden({ timeout: 10_000 });
  await expect(otherEditor.locator('.post-error')).toHaveCount(0);
  await expect(contributor.locator('#review .status-approved')).toContainText('Published');
  const posts = (await (await request.get(`/api/streams/${s.slug}/posts?since=0`)).json()).posts as { body: string }[];
  expect(posts.filter((p) => p.body === text)).toHaveLength(1);
  // Still one, a moment later, on the other instance too.
  await expect(otherEditor.locator('#posts article.post', { hasText: 'the captain is warming up' })).toHaveCount(1);
});

test("a rejection's reason reaches the contributor live, and the post never reaches viewers", async ({ browser }) => {
  const s = await newsroom();
  const contributor = await signedIn(browser, s, s.contributor);
  const editor = await signedIn(browser, s, s.author);
  const viewer = await viewerPage(browser, s);
  await submit(contributor, 'Heard in the tunnel: the referee is injured');
  const queued = editor.locator('#review .submission', { hasText: 'the referee is injured' });
  await queued.getByLabel(/Reason for/).fill('Only one source; ask the press office');
  await queued.getByRole('button', { name: 'Reject' }).click();
  await expect(contributor.locator('#review .status-rejected')).toContainText('Not published: Only one source; ask the press office');
  await expect(editor.locator('#review')).toBeHidden();
  for (const width of [375, 1280]) {
    await contributor.setViewportSize({ width, height: 800 });
    await contributor.locator('#review').screenshot({ path: `test-results/review-rejected-${width}.png` });
  }
  await expect(viewer.locator('#posts')).not.toContainText('referee');
  await viewer.reload();
  await expect(viewer.locator('main')).not.toContainText('referee');
});

test('an author schedules a post in their own time zone, sees it in the Scheduled list, edits and cancels it', async ({ browser, request }) => {
  const s = await newsroom();
  const editor = await signedIn(browser, s, s.author, '', 'Europe/Berlin');
  const viewer = await viewerPage(browser, s);
  // A minute a day ahead, as a reader in Berlin writes it.
  const instant = new Date(Math.floor(Date.now() / 60_000) * 60_000 + 24 * 3600_000);
  const berlin = instant.toLocaleString('sv-SE', { timeZone: 'Europe/Berlin' }).replace(' ', 'T').slice(0, 16);
  await editor.locator('#compose-body').fill('Result expected around nine');
  await expect(editor.locator('.compose-later')).toContainText('your time');
  await editor.getByLabel(/Publish at/).first().fill(berlin);
  await editor.getByRole('button', { name: 'Publish' }).click();
  await expect(editor.locator('#compose-status')).toContainText('Scheduled');
  const item = editor.locator('#review .scheduled', { hasText: 'Result expected around nine' });
  await expect(item).toBeVisible();
  const listed = await (await request.get(`/api/streams/${s.slug}/scheduled`, { headers: { authorization: `Bearer ${s.token}` } })).json();
  expect(listed.scheduled.map((p: { publishAt: string }) => p.publishAt)).toEqual([instant.toISOString()]);
  await expect(item.getByLabel(/Publish at/)).toHaveValue(berlin);
  await expect(viewer.locator('main')).not.toContainText('Result expected');
  await item.getByText('Edit').click();
  expect(await reviewViolations(editor)).toEqual([]);
  await item.getByLabel('Text').fill('Result expected around ten');
  for (const width of [375, 1280]) {
    await editor.setViewportSize({ width, height: 900 });
    await editor.locator('#review').screenshot({ path: `test-results/review-scheduled-${width}.png` });
  }
  await item.getByRole('button', { name: 'Save' }).click();
  const edited = editor.locator('#review .scheduled', { hasText: 'Result expected around ten' });
  await expect(edited).toBeVisible();
  await edited.getByRole('button', { name: /^Cancel this post/ }).click();
  await expect(editor.locator('#review')).toBeHidden();
  await expect(viewer.locator('main')).not.toContainText('Result expected');
});
