import { test as base } from '@playwright/test';

export * from '@playwright/test';

/**
 * Playwright's `test`, and every browser context a test opens itself (`browser.newContext()`, for
 * a second viewer, an author, another viewport) is closed when the test ends. Left open, each kept
 * a live page running for the rest of the suite: dozens of pages on two cores by the end.
 */
export const test = base.extend<{ closeOwnContexts: undefined }>({
  closeOwnContexts: [
    async ({ browser }, use) => {
      const before = new Set(browser.contexts());
      await use(undefined);
      await Promise.all(
        browser
          .contexts()
          .filter((context) => !before.has(context))
          .map((context) => context.close().catch(() => {})),
      );
    },
    { auto: true },
  ],
});
