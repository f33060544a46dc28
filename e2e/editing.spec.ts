import { test, expect } from './fixtures.ts';
import { seed, type Seeded } from './seed.ts';
import { expectNoReload, logIn, viewerPage } from './helpers.ts';

let s: Seeded;
test.beforeAll(async () => {
  s = await seed('Cup final');
});

test('an author edits, pins and deletes in place; an open viewer follows every change live', async ({ browser, request }) => {
  const post = async (body: string) =>
    (await request.post(`/api/streams/${s.slug}/posts`, { headers: { authorization: `Bearer ${s.token}` }, data: { body } })).json();
  const kickoff = await post('Kick-off at 8pm');
  await post('Teams are out');
  const typo = await post('Goal by Smtih!');

  const viewer = await viewerPage(browser, s);
  const author = await (await browser.newContext()).newPage();
  await logIn(author, s);

  // Edit in place.
  const typoCard = author.locator(`#post-${typo.id}`);
  await typoCard.getByRole('button', { name: 'Edit' }).click();
  await typoCard.getByLabel('Edit post').fill('Goal by **Smith**!');
  await typoCard.getByRole('button', { name: 'Save' }).click();
  const seen = viewer.locator(`#post-${typo.id}`);
  await expect(seen.locator('strong')).toHaveText('Smith');
  await expect(seen.locator('.edited')).toBeVisible();
  await expect(viewer.locator('#posts')).not.toContainText('Smtih');

  // Pin an older post: it moves to the top for everyone.
  await author.locator(`#post-${kickoff.id}`).getByRole('button', { name: 'Pin' }).click();
  await expect(viewer.locator('article.post').first()).toHaveAttribute('id', `post-${kickoff.id}`);
  await expect(viewer.locator('article.post').first().locator('.badge')).toHaveText('Pinned');

  // Delete (the author confirms).
  author.once('dialog', (dialog) => dialog.accept());
  await author.locator(`#post-${typo.id}`).getByRole('button', { name: 'Delete' }).click();
  await expect(viewer.locator(`#post-${typo.id}`)).toHaveCount(0);
  await expect(author.locator(`#post-${typo.id}`)).toHaveCount(0);
  await expect(viewer.locator('article.post')).toHaveCount(2);
  await expectNoReload(viewer);
});

test('an edit against an outdated version is refused with a clear message, not a silent overwrite', async ({ browser, request }) => {
  const created = await (
    await request.post(`/api/streams/${s.slug}/posts`, { headers: { authorization: `Bearer ${s.token}` }, data: { body: 'Score 0-0' } })
  ).json();
  const author = await (await browser.newContext()).newPage();
  await logIn(author, s);
  const card = author.locator(`#post-${created.id}`);
  await card.getByRole('button', { name: 'Edit' }).click();
  await expect(card.getByLabel('Edit post')).toHaveValue('Score 0-0');
  // Meanwhile someone else (a score feed) updates the same post.
  const feed = await request.patch(`/api/streams/${s.slug}/posts/${created.id}`, {
    headers: { authorization: `Bearer ${s.token}` },
    data: { body: 'Score 1-0' },
  });
  expect(feed.status()).toBe(200);
  await card.getByLabel('Edit post').fill('Score 0-0 (rain delay)');
  await card.getByRole('button', { name: 'Save' }).click();
  await expect(card.locator('.post-error')).toContainText('changed since you opened it');
  await expect(card.locator('.post-body')).toHaveText('Score 1-0');
});

test('ending the stream shows "ended" to viewers and hides the composer; reopening brings it back', async ({ browser }) => {
  const viewer = await viewerPage(browser, s);
  const author = await (await browser.newContext()).newPage();
  await logIn(author, s);
  await author.getByRole('button', { name: 'End the stream' }).click();
  await expect(viewer.locator('#live-status')).toContainText('This stream has ended');
  await expect(author.locator('#compose')).toBeHidden();
  await author.getByRole('button', { name: 'Reopen the stream' }).click();
  await expect(author.locator('#compose')).toBeVisible();
  await expect(viewer.locator('#live-status')).toContainText('Updates appear here as they are posted');
});
