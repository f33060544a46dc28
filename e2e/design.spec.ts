import { mkdirSync } from 'node:fs';
import { test, expect, type Page } from './fixtures.ts';
import { OWN_PROCESS_TIMEOUT_MS } from '../playwright.config.ts';
import { openSitePage, setUpSite, SITE_PAGES, sidewaysOverflow, type Site } from './site-pages.ts';
import { logIn } from './helpers.ts';

// The look of the pages: time column, badges, contrast, dark controls, print, favicon, skip link.
// (No sideways scroll on any page is checked with the accessibility scans, one visit a page.) With
// SHOTS_DIR set, the contract sample is also saved as screenshots there, to look at.

const SHOTS_DIR = process.env.SHOTS_DIR;

let site: Site;
test.beforeAll(async ({ request }) => {
  test.setTimeout(OWN_PROCESS_TIMEOUT_MS);
  site = await setUpSite(request);
  if (SHOTS_DIR) mkdirSync(SHOTS_DIR, { recursive: true });
});

/** WCAG contrast between an element's text and its own background. */
function contrastOf(page: Page, selector: string): Promise<number> {
  return page.locator(selector).first().evaluate((element) => {
    const luminance = (css: string) => {
      const [r, g, b] = css.match(/[\d.]+/g)!.slice(0, 3).map((v) => {
        const c = Number(v) / 255;
        return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
      });
      return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
    };
    const style = getComputedStyle(element);
    const [a, b] = [luminance(style.color), luminance(style.backgroundColor)].sort((x, y) => y - x);
    return (a! + 0.05) / (b! + 0.05);
  });
}

/** Posts as the shared markup contract writes them: key, pinned with a headline, and a permalink target. */
const CONTRACT_POSTS = `
  <article class="post key" id="post-k" data-key="true"><header class="post-meta"><a class="permalink" href="#"><time>21:04</time></a>
    <span class="badge badge-key">Key moment</span><span class="post-author">ana</span></header>
    <h2 class="post-headline">First result declared</h2><div class="post-body"><p>Blue hold the seat.</p></div>
    <footer class="post-footer"><button type="button" class="share">Share</button></footer></article>
  <article class="post pinned" id="post-p" data-pinned="true"><header class="post-meta"><a class="permalink" href="#"><time>20:00</time></a>
    <span class="badge badge-pinned">Pinned</span><span class="post-author">ana</span></header>
    <div class="post-body"><p>How tonight works.</p></div></article>
  <article class="post highlighted" id="post-h" aria-current="true"><header class="post-meta"><a class="permalink" href="#"><time>19:58</time></a>
    <span class="post-author">ana</span></header><div class="post-body"><p>Doors open.</p></div></article>`;

/** The stream page's regions around the posts, as the contract writes them. */
const CONTRACT_STATUS = `<span class="live-badge">Live</span> <span class="label">Updates appear as they are posted</span>
  <time class="last-updated" datetime="2026-11-26T21:04:00Z">Last updated 21:04</time>`;
const CONTRACT_NAVIGATION = `
  <nav class="key-moments" id="key-moments" aria-labelledby="km"><h2 id="km">Key moments</h2><ol>
    <li><a href="#post-k" data-post-id="k"><time>21:04</time> First result declared</a></li>
    <li><a href="#post-p" data-post-id="p"><time>20:00</time> Polls close</a></li></ol></nav>
  <nav class="order-toggle" aria-label="Order"><a href="?order=newest" aria-current="true">Newest first</a><a href="?order=oldest">Oldest first</a></nav>`;
const CONTRACT_PAGER = `<nav class="pager" aria-label="Pages"><a href="#">Newer updates</a><a href="#">Older updates</a><a href="#">Latest</a></nav>`;

for (const scheme of ['light', 'dark'] as const) {
  test(`key, pinned and highlighted posts stand apart, badges readable (${scheme})`, async ({ browser }) => {
    const page = await openSitePage(browser, site, SITE_PAGES.find((p) => p.name === 'live')!, 1280, scheme);
    await page.locator('#posts').evaluate(
      (posts, [html, navigation, pager, status]) => {
        posts.insertAdjacentHTML('afterbegin', html!);
        posts.insertAdjacentHTML('beforebegin', navigation!);
        posts.insertAdjacentHTML('afterend', pager!);
        document.getElementById('live-status')!.innerHTML = status!;
      },
      [CONTRACT_POSTS, CONTRACT_NAVIGATION, CONTRACT_PAGER, CONTRACT_STATUS],
    );
    expect(await contrastOf(page, '.live-badge')).toBeGreaterThanOrEqual(4.5);
    expect(await contrastOf(page, '.badge-pinned')).toBeGreaterThanOrEqual(4.5);
    expect(await contrastOf(page, '.badge-key')).toBeGreaterThanOrEqual(4.5);
    const look = (id: string) =>
      page.locator(id).evaluate((e) => {
        const s = getComputedStyle(e);
        return { border: s.borderLeftWidth + s.borderLeftColor, background: s.backgroundColor, outline: s.outlineStyle };
      });
    const [key, pinned, highlighted, plain] = await Promise.all(['#post-k', '#post-p', '#post-h', '#posts > .post:last-child'].map(look));
    expect(key!.border).not.toBe(plain!.border);
    expect(key!.background).not.toBe(plain!.background);
    expect(pinned).not.toEqual(plain);
    expect(highlighted!.outline).toBe('solid');
    if (SHOTS_DIR) await page.screenshot({ path: `${SHOTS_DIR}/contract-posts-1280-${scheme}.png`, fullPage: true });
    await page.setViewportSize({ width: 375, height: 800 });
    expect(await sidewaysOverflow(page)).toBeLessThanOrEqual(0);
    if (SHOTS_DIR) await page.screenshot({ path: `${SHOTS_DIR}/contract-posts-375-${scheme}.png`, fullPage: true });
    await page.context().close();
  });
}

test('the live badge pulses, unless the reader asks for less motion', async ({ browser }) => {
  const page = await openSitePage(browser, site, SITE_PAGES.find((p) => p.name === 'live')!, 375, 'light');
  await page.locator('#live-status').evaluate((status, html) => (status.innerHTML = html), CONTRACT_STATUS);
  const pulse = () => page.locator('.live-badge').evaluate((badge) => getComputedStyle(badge, '::before').animationName);
  await page.emulateMedia({ reducedMotion: 'no-preference' }); // the suite's pages ask for less motion
  expect(await pulse()).toBe('pulse');
  await page.emulateMedia({ reducedMotion: 'reduce' });
  expect(await pulse()).toBe('none');
  await page.context().close();
});

test('on a wide screen the time stands in a column beside the post; on a phone above it', async ({ browser }) => {
  const entry = SITE_PAGES.find((p) => p.name === 'live')!;
  for (const [width, beside] of [[1280, true], [375, false]] as const) {
    const page = await openSitePage(browser, site, entry, width, 'light');
    const time = (await page.locator('.post .post-meta time').first().boundingBox())!;
    const body = (await page.locator('.post .post-body').first().boundingBox())!;
    if (beside) expect(time.x + time.width).toBeLessThanOrEqual(body.x);
    else expect(time.y + time.height).toBeLessThanOrEqual(body.y);
    await page.context().close();
  }
});

test('in dark mode the form controls are dark too', async ({ browser }) => {
  const page = await openSitePage(browser, site, SITE_PAGES.find((p) => p.name === 'author')!, 375, 'dark');
  for (const selector of ['#compose textarea', '#compose input[name=alt]', '#compose input[type=file]', '.share, .post-actions button, .site-nav button']) {
    const lightness = await page
      .locator(selector)
      .first()
      .evaluate((e) => {
        const style = getComputedStyle(e);
        const solid = style.backgroundColor === 'rgba(0, 0, 0, 0)' ? getComputedStyle(document.body.parentElement!).backgroundColor : style.backgroundColor;
        return Math.max(...solid.match(/[\d.]+/g)!.slice(0, 3).map(Number));
      });
    expect(lightness, selector).toBeLessThan(80);
  }
  await page.context().close();
});

test('printing leaves out the site navigation, the composer, buttons and forms', async ({ browser }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await logIn(page, site.s);
  await page.emulateMedia({ media: 'print' });
  await expect(page.locator('#compose')).toBeHidden();
  await expect(page.locator('.site-nav')).toBeHidden();
  for (const button of await page.locator('button').all()) await expect(button).toBeHidden();
  await expect(page.locator('.post').first()).toBeVisible();
  // Paper gets each post's full date and time, not "5 min ago".
  const time = page.locator('.post time').first();
  await expect(time).toHaveText(/ago|just now/);
  await page.evaluate(() => window.dispatchEvent(new Event('beforeprint')));
  await expect(time).not.toHaveText(/ago|just now/);
  await expect(time).toContainText(String(new Date().getFullYear()));
  await context.close();
});

test('the favicon answers at /favicon.ico and /favicon.svg, cached, and no page asks for anything missing', async ({ browser, request }) => {
  for (const path of ['/favicon.ico', '/favicon.svg']) {
    const response = await request.get(path);
    expect(response.status()).toBe(200);
    expect(response.headers()['content-type']).toContain('image/svg+xml');
    expect(response.headers()['cache-control']).toMatch(/max-age=\d{4,}/);
  }
  const page = await (await browser.newContext()).newPage();
  const missing: string[] = [];
  page.on('response', (response) => response.status() === 404 && missing.push(response.url()));
  await page.goto('/');
  await page.goto(`/s/${site.s.slug}`);
  await expect(page.locator('#live-status')).toHaveAttribute('data-state', 'live');
  expect(missing).toEqual([]);
  await page.context().close();
});

test('error pages speak plainly and lead back: a bad stream address, an unknown stream', async ({ page }) => {
  const bad = await page.goto('/s/Not_A_Slug!');
  expect(bad!.status()).toBe(400);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('That request did not make sense to us');
  await expect(page.getByRole('alert')).toContainText('stream addresses use only lower-case letters, digits and dashes');
  await expect(page.locator('main')).not.toContainText(/must match|params\/|pattern/);
  const unknown = await page.goto('/s/no-such-stream-here');
  expect(unknown!.status()).toBe(404);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('We could not find that stream');
  await page.getByRole('link', { name: 'See all live streams' }).click();
  await expect(page).toHaveURL(/\/$/);
});

test('the skip link is the first thing a keyboard reaches, and it leads to the main content', async ({ page }) => {
  await page.goto(`/s/${site.s.slug}`);
  await page.keyboard.press('Tab');
  const skip = page.locator('a.skip-link');
  await expect(skip).toBeFocused();
  await expect(skip).toBeVisible();
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/#main$/);
});

test('the admin page slug field has a pattern the browser can use', async ({ browser }) => {
  const page = await openSitePage(browser, site, SITE_PAGES.find((p) => p.name === 'admin')!, 375, 'light');
  const slug = page.locator('input[name=slug]');
  expect(await slug.evaluate((input) => new RegExp(`^(?:${(input as HTMLInputElement).pattern})$`, 'v').test('launch-2026'))).toBe(true);
  await slug.fill('Not a slug');
  expect(await slug.evaluate((input) => (input as HTMLInputElement).validity.patternMismatch)).toBe(true);
  await slug.fill('launch-2026');
  expect(await slug.evaluate((input) => (input as HTMLInputElement).validity.patternMismatch)).toBe(false);
  await page.context().close();
});
