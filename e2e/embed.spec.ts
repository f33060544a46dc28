import { createServer, type Server } from 'node:http';
import { test, expect } from './fixtures.ts';
import { seed, type Seeded } from './seed.ts';
import { logIn } from './helpers.ts';

// Another site frames the embed with the author's snippet: posts appear live inside it and the
// frame grows with them. Every other Livelog page refuses to be framed.

const HOST_PORT = Number(process.env.E2E_PORT ?? 3217) + 1; // another origin: same host, other port

let s: Seeded;
let host: Server;
let hostPage = '';
test.beforeAll(async () => {
  s = await seed('Harbour regatta');
  host = createServer((_, response) => response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(hostPage));
  await new Promise<void>((resolve) => host.listen(HOST_PORT, '127.0.0.1', resolve));
});
test.afterAll(() => new Promise<void>((resolve) => host.close(() => resolve())));

const publish = async (request: import('@playwright/test').APIRequestContext, body: string) =>
  (await request.post(`/api/streams/${s.slug}/posts`, { headers: { authorization: `Bearer ${s.token}` }, data: { body } })).json();

for (const width of [1280, 375]) {
  test.describe(`at ${width} px`, () => {
    test.use({ viewport: { width, height: 900 } });

    test('the author’s snippet frames the live embed on another origin, and the frame grows with new posts', async ({ page, request, baseURL }) => {
      await publish(request, `Boats are out (${width})`);
      await logIn(page, s);
      await expect(page.locator('#live-status')).toHaveAttribute('data-state', 'live'); // the page script runs
      await page.getByText('Embed this stream').click();
      const snippet = await page.locator('#embed-code').inputValue();
      expect(snippet).toContain(`src="${baseURL}/s/${s.slug}/embed"`);
      expect(snippet).toContain(`src="${baseURL}/assets/embed.js"`);
      await page.screenshot({ path: `test-results/d-embed-snippet-${width}.png` });

      hostPage = `<!doctype html><title>News site</title><h1>Our coverage</h1>${snippet}<p>Below the frame</p>`;
      await page.goto(`http://127.0.0.1:${HOST_PORT}/`);
      const frame = page.frameLocator('iframe');
      await expect(frame.locator('#live-status')).toHaveAttribute('data-state', 'live');
      await expect(frame.locator('article.post').first()).toContainText(`Boats are out (${width})`);
      await expect(frame.locator('#author-tools, .site-nav, #compose')).toHaveCount(0);
      const iframe = page.locator('iframe');
      // The host script sizes the frame to the height the embed reports (the snippet's own is a minimum).
      await expect.poll(() => iframe.evaluate((element: HTMLIFrameElement) => element.style.height)).toMatch(/^\d+px$/);
      const before = (await iframe.boundingBox())!.height;
      const long = 'A long update that takes several lines at any width of the frame. '.repeat(10);
      for (const n of [1, 2, 3]) await publish(request, `Leader rounds mark ${n} (${width}). ${long}`);
      await expect(frame.locator('article.post').first()).toContainText(`Leader rounds mark 3 (${width})`);
      await expect.poll(async () => (await iframe.boundingBox())?.height ?? 0).toBeGreaterThan(before + 200);
      await expect(frame.locator('time.last-updated')).toHaveText(/^\d{1,2}:\d{2}/);
      // Links leave the frame for the reader's own window.
      expect(await frame.locator('base').getAttribute('target')).toBe('_top');
      await page.screenshot({ path: `test-results/d-embed-host-${width}.png`, fullPage: true });
    });

    test('a page other than the embed refuses to be framed', async ({ page, baseURL }) => {
      hostPage = `<!doctype html><title>Clickjacker</title><iframe id="plain" src="${baseURL}/s/${s.slug}"></iframe>`;
      const framed = page.waitForResponse(`${baseURL}/s/${s.slug}`);
      await page.goto(`http://127.0.0.1:${HOST_PORT}/`);
      expect((await framed).headers()['x-frame-options']).toBe('SAMEORIGIN');
      await page.waitForLoadState('load');
      // The browser shows its own error page in the frame instead of the stream.
      const inner = page.frames().find((frame) => frame !== page.mainFrame());
      await expect.poll(() => inner?.url()).not.toBe(`${baseURL}/s/${s.slug}`);
      expect(await inner?.locator('#posts').count()).toBe(0);
    });
  });
}
