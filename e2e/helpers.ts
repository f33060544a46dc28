import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect, type Browser, type Page } from '@playwright/test';
import { E2E_DATABASE } from '../playwright.config.ts';
import type { Seeded } from './seed.ts';

/** A viewer's page, open and live. Fails the test if any dialog opens (a post's script ran). */
export async function viewerPage(browser: Browser, s: Seeded, base = ''): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on('dialog', () => {
    throw new Error('a dialog opened: script from a post ran');
  });
  await page.goto(`${base}/s/${s.slug}`);
  await expect(page.locator('#live-status')).toHaveAttribute('data-state', 'live');
  // A marker that a reload would wipe: proves updates arrive without one.
  await page.evaluate(() => ((window as unknown as { marker: string }).marker = 'no reload'));
  return page;
}

export async function expectNoReload(page: Page): Promise<void> {
  expect(await page.evaluate(() => (window as unknown as { marker?: string }).marker)).toBe('no reload');
}

export async function logIn(page: Page, s: Seeded, base = ''): Promise<void> {
  await page.goto(`${base}/login?next=/s/${s.slug}`);
  await page.getByLabel('Name').fill(s.author);
  await page.getByLabel('Password').fill(s.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page).toHaveURL(new RegExp(`/s/${s.slug}$`));
}

/** What the page shows, in order: each post's id and text. */
export async function shownPosts(page: Page): Promise<string[]> {
  return page.locator('#posts article.post').evaluateAll((articles) =>
    articles.map((a) => `${(a as HTMLElement).dataset.postId}: ${a.querySelector('.post-body')!.textContent!.trim()}`),
  );
}

/** Runs `npm run export`'s script for the stream; returns the path of the exported index.html. */
export async function exportStream(s: Seeded): Promise<string> {
  const out = await mkdtemp(path.join(tmpdir(), 'livelog-export-'));
  await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/export.ts', s.slug, '--out', out], {
    env: { ...process.env, LIVELOG_DB: E2E_DATABASE },
  });
  return path.join(out, 'index.html');
}
