import { readdir } from 'node:fs/promises';
import { OWN_PROCESS_TIMEOUT_MS } from '../playwright.config.ts';
import path from 'node:path';
import { test, expect } from './fixtures.ts';
import sharp from 'sharp';
import { seed, type Seeded } from './seed.ts';
import { exportStream, logIn, viewerPage } from './helpers.ts';
import { photoWithLocation } from '../test/fixtures/photos.ts';

let s: Seeded;
test.beforeAll(async () => {
  s = await seed('Photo walk');
});

test('an author attaches a photo; viewers see it with its description, its location is gone, and the export carries it', async ({ browser, request }) => {
  test.setTimeout(OWN_PROCESS_TIMEOUT_MS);
  const viewer = await viewerPage(browser, s);
  const author = await (await browser.newContext()).newPage();
  await logIn(author, s);
  await author.getByLabel(/New update/).fill('The view from the tower');
  await author.getByLabel('Photo', { exact: true }).setInputFiles({ name: 'IMG_2041.jpg', mimeType: 'image/jpeg', buffer: await photoWithLocation() });
  await author.getByLabel(/Description for people/).fill('Rooftops at sunset, seen from the tower');
  await author.getByRole('button', { name: 'Publish' }).click();
  await expect(author.locator('#compose-status')).toHaveText('Published.');

  const image = viewer.locator('.post img');
  await expect(image).toHaveAttribute('alt', 'Rooftops at sunset, seen from the tower');
  await expect.poll(() => image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(2048);

  const src = (await image.getAttribute('src'))!;
  const served = await request.get(src);
  expect(served.headers()['cache-control']).toBe('public, max-age=300');
  const metadata = await sharp(await served.body()).metadata();
  expect(metadata.exif).toBeUndefined();

  const exported = await exportStream(s);
  expect(await readdir(path.join(path.dirname(exported), 'media'))).toEqual([path.basename(src)]);
  const reader = await (await browser.newContext({ javaScriptEnabled: false })).newPage();
  const violations: string[] = [];
  reader.on('console', (message) => message.type() === 'error' && violations.push(message.text()));
  await reader.goto(`file://${exported}`);
  const exportedImage = reader.locator('.post img');
  await expect(exportedImage).toHaveAttribute('alt', 'Rooftops at sunset, seen from the tower');
  await expect.poll(() => exportedImage.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(2048);
  expect(violations).toEqual([]);

  // Deleting the post takes its photo down: viewers lose it live, and its address answers 404.
  author.once('dialog', (dialog) => dialog.accept());
  await author.locator('.post').filter({ hasText: 'The view from the tower' }).getByRole('button', { name: 'Delete' }).click();
  await expect(viewer.locator('.post img')).toHaveCount(0);
  expect((await request.get(src)).status()).toBe(404);
});
