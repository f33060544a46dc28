import { test, expect, type Page } from './fixtures.ts';
import sharp from 'sharp';
import { seed, type Seeded } from './seed.ts';
import { logIn } from './helpers.ts';

// The author hears why an action failed, edits from the keyboard, and is asked to describe a photo.

let s: Seeded;
test.beforeAll(async () => {
  s = await seed('Board meeting');
});

const publish = async (page: Page, body: string) => {
  const response = await page.request.post(`/api/streams/${s.slug}/posts`, { headers: { authorization: `Bearer ${s.token}` }, data: { body } });
  return (await response.json()) as { id: string };
};

for (const width of [1280, 375]) {
  test.describe(`at ${width} px`, () => {
    test.use({ viewport: { width, height: 900 } });

    test('a failed End says why, next to the button, instead of failing silently', async ({ page, context }) => {
      await logIn(page, s);
      await expect(page.locator('#live-status')).toHaveAttribute('data-state', 'live');
      const end = page.getByRole('button', { name: 'End the stream' });
      await expect(end).toBeVisible();
      await context.clearCookies(); // the session is gone (expired, or logged out elsewhere)
      await end.click();
      const why = page.locator('#status-form + .post-error[role=alert]');
      await expect(why).toContainText('Not ended:');
      await expect(page.locator('#compose')).toBeVisible();
      await page.screenshot({ path: `test-results/d-end-failed-${width}.png` });
    });

    test('Escape cancels an edit and Ctrl+Enter saves it; the buttons name their post', async ({ page }) => {
      const post = await publish(page, `Minutes approved (${width})`);
      await logIn(page, s);
      await expect(page.locator('#live-status')).toHaveAttribute('data-state', 'live');
      const card = page.locator(`#post-${post.id}`);
      const edit = card.getByRole('button', { name: /^Edit\b/ });
      // Which post: its author and time (its headline when it has one), not a bare "Edit".
      await expect(edit).toHaveAccessibleName(new RegExp(`^Edit\\b.*${s.author}.*\\d{1,2}:\\d{2}`));
      await edit.click();
      await expect(card.getByLabel('Edit post')).toHaveValue(`Minutes approved (${width})`);
      await page.keyboard.press('Escape');
      await expect(card.locator('.edit-form')).toHaveCount(0);
      await expect(edit).toBeFocused();
      await edit.click();
      await card.getByLabel('Edit post').fill(`Minutes approved, **unanimously** (${width})`);
      await page.keyboard.press('Control+Enter');
      await expect(card.locator('strong')).toHaveText('unanimously');
      await expect(page.locator(`#post-${post.id} .edit-form`)).toHaveCount(0);
    });

    test('a photo without a description prompts before publishing; "decorative" publishes it with alt=""', async ({ page }) => {
      await logIn(page, s);
      await expect(page.locator('#live-status')).toHaveAttribute('data-state', 'live'); // the page script runs
      const photo = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#246' } }).png().toBuffer();
      const before = await page.locator('article.post').count();
      await page.getByLabel('New update').fill(`The venue (${width})`);
      await page.getByLabel('Photo', { exact: true }).setInputFiles({ name: 'venue.png', mimeType: 'image/png', buffer: photo });
      await page.getByLabel('New update').press('Control+Enter');
      const prompt = page.getByRole('alert').filter({ hasText: 'Describe this photo for people who cannot see it' });
      await expect(prompt).toBeVisible();
      await expect(page.getByLabel('Description for people who cannot see it')).toBeFocused();
      await page.screenshot({ path: `test-results/d-alt-prompt-${width}.png` });
      await expect(page.locator('article.post')).toHaveCount(before); // nothing was published
      await page.getByLabel('This photo is decorative').check();
      await expect(prompt).toBeHidden();
      await page.getByRole('button', { name: 'Publish' }).click();
      const published = page.locator('article.post', { hasText: `The venue (${width})` });
      await expect(published.locator('img')).toHaveAttribute('alt', '');
    });
  });
}
