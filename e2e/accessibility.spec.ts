import { AxeBuilder } from '@axe-core/playwright';
import { mkdirSync } from 'node:fs';
import { test, expect, type Page } from './fixtures.ts';
import { OWN_PROCESS_TIMEOUT_MS } from '../playwright.config.ts';
import { openSitePage, setUpSite, SITE_PAGES, sidewaysOverflow, type Site } from './site-pages.ts';

// Every page (the table in site-pages.ts), visited once: an axe-core scan with no serious or
// critical violation in light (at a desktop's width) and dark (at a phone's), and no sideways scroll
// at either width in either scheme. With SHOTS_DIR set, each state is saved as a screenshot there.

const SHOTS_DIR = process.env.SHOTS_DIR;

let site: Site;
test.beforeAll(async ({ request }) => {
  test.setTimeout(OWN_PROCESS_TIMEOUT_MS);
  site = await setUpSite(request);
  if (SHOTS_DIR) mkdirSync(SHOTS_DIR, { recursive: true });
});

async function seriousViolations(page: Page): Promise<string[]> {
  const { violations } = await new AxeBuilder({ page }).analyze();
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

for (const entry of SITE_PAGES) {
  test(`the ${entry.name} page: no serious accessibility violation in light or dark, no sideways scroll at 1280 or 375 px`, async ({ browser }) => {
    const page = await openSitePage(browser, site, entry, 1280, 'light');
    const looks = async (width: number, scheme: 'light' | 'dark', scan: boolean) => {
      await page.setViewportSize({ width, height: 800 });
      await page.emulateMedia({ colorScheme: scheme });
      const where = `${entry.name} at ${width} px (${scheme})`;
      expect(await sidewaysOverflow(page), where).toBeLessThanOrEqual(0);
      if (scan) expect(await seriousViolations(page), where).toEqual([]);
      if (SHOTS_DIR) await page.screenshot({ path: `${SHOTS_DIR}/${entry.name}-${width}-${scheme}.png`, fullPage: true });
    };
    await looks(1280, 'light', true);
    await looks(1280, 'dark', false);
    await looks(375, 'dark', true);
    await looks(375, 'light', false);
    await page.context().close();
  });
}
