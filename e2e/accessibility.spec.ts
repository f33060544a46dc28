import { AxeBuilder } from '@axe-core/playwright';
import { test, expect } from '@playwright/test';
import { OWN_PROCESS_TIMEOUT_MS } from '../playwright.config.ts';
import { openSitePage, setUpSite, SITE_PAGES, type Site } from './site-pages.ts';

// An axe-core scan of every page (the table in site-pages.ts), light and dark: no serious or
// critical violation. Light at a desktop's width, dark at a phone's, so both layouts are scanned
// without doubling the run.

let site: Site;
test.beforeAll(async ({ request }) => {
  test.setTimeout(OWN_PROCESS_TIMEOUT_MS);
  site = await setUpSite(request);
});

for (const entry of SITE_PAGES) {
  for (const [scheme, width] of [['light', 1280], ['dark', 375]] as const) {
    test(`the ${entry.name} page has no serious accessibility violation (${scheme}, ${width} px)`, async ({ browser }) => {
      const page = await openSitePage(browser, site, entry, width, scheme);
      const { violations } = await new AxeBuilder({ page }).analyze();
      const serious = violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
      expect(serious).toEqual([]);
      await page.context().close();
    });
  }
}
