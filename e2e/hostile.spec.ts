import { test, expect, type Page } from './fixtures.ts';
import { OWN_PROCESS_TIMEOUT_MS } from '../playwright.config.ts';
import { seed, type Seeded } from './seed.ts';
import { exportStream } from './helpers.ts';
import { HOSTILE_TEXTS } from '../test/fixtures/hostile.ts';

// Every hostile text, stored, then shown to a viewer (from history and live) and in the export:
// nothing may run, open a dialog or trip the Content-Security-Policy.

let s: Seeded;
test.beforeAll(async () => {
  s = await seed('<img src=x onerror="window.pwned=100"> "Hostile" & <b>bold</b> stream');
});

async function watch(page: Page): Promise<{ dialogs: string[] }> {
  const dialogs: string[] = [];
  page.on('dialog', async (dialog) => {
    dialogs.push(dialog.message());
    await dialog.dismiss();
  });
  await page.addInitScript(() => {
    const w = window as unknown as { cspViolations: string[] };
    w.cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => w.cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  return { dialogs };
}

async function expectNothingRan(page: Page, dialogs: string[]): Promise<void> {
  expect(await page.evaluate(() => (window as unknown as { pwned?: unknown }).pwned)).toBeUndefined();
  expect(await page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations)).toEqual([]);
  expect(dialogs).toEqual([]);
}

test('hostile posts and titles are shown as text to viewers and in the export; no script runs, no CSP violation', async ({ browser, request }) => {
  test.setTimeout(OWN_PROCESS_TIMEOUT_MS);
  const post = (body: string) =>
    request.post(`/api/streams/${s.slug}/posts`, { headers: { authorization: `Bearer ${s.token}` }, data: { body } });
  const half = Math.floor(HOSTILE_TEXTS.length / 2);
  for (const text of HOSTILE_TEXTS.slice(0, half)) expect((await post(text)).status()).toBe(201);

  const page = await (await browser.newContext()).newPage();
  const { dialogs } = await watch(page);
  await page.goto(`/s/${s.slug}`);
  await expect(page.locator('#live-status')).toHaveAttribute('data-state', 'live');
  // The rest arrive live, through the websocket and the client's rendering.
  for (const text of HOSTILE_TEXTS.slice(half)) expect((await post(text)).status()).toBe(201);
  await expect(page.locator('article.post')).toHaveCount(HOSTILE_TEXTS.length);
  await expect(page.locator('h1')).toHaveText('<img src=x onerror="window.pwned=100"> "Hostile" & <b>bold</b> stream');
  await expect(page.locator('article.post').filter({ hasText: '<script>window.pwned = 1</script>' })).toHaveCount(1);
  await page.waitForTimeout(300); // give any injected handler its chance to fire
  await expectNothingRan(page, dialogs);

  const exported = await exportStream(s);
  const reader = await (await browser.newContext()).newPage(); // JavaScript on: the CSP must hold by itself
  const readerWatch = await watch(reader);
  await reader.goto(`file://${exported}`);
  await expect(reader.locator('article.post')).toHaveCount(HOSTILE_TEXTS.length);
  await expect(reader.locator('h1')).toHaveText('<img src=x onerror="window.pwned=100"> "Hostile" & <b>bold</b> stream');
  await reader.waitForTimeout(300);
  await expectNothingRan(reader, readerWatch.dialogs);

  // The watcher itself works: a script-inserted image from elsewhere is a violation it sees.
  await page.evaluate(() => document.body.insertAdjacentHTML('beforeend', '<img src="http://127.0.0.2:9/x.png">'));
  await expect.poll(() => page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations.length)).toBe(1);
});
