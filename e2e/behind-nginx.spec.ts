import https from 'node:https';
import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test, expect, request as playwrightRequest, type APIRequestContext, type Browser, type Page } from './fixtures.ts';
import { E2E_DATABASE, OWN_PROCESS_TIMEOUT_MS } from '../playwright.config.ts';
import { startServerProcess, type ServerProcess } from '../test/fixtures/server-process.ts';
import { seed, type Seeded } from './seed.ts';
import { expectNoReload, shownPosts } from './helpers.ts';
import { type Nginx, nginxInstalled, rawGet, startNginx } from './nginx.ts';

// Livelog behind Debian's nginx running deploy/nginx.conf (issue 10, "Behind a reverse proxy"):
// live delivery, the SSE fallback and resume through it, and per-address limits that see the
// client's real address. One nginx and one Livelog for the whole file.

const E2E_PORT = Number(process.env.E2E_PORT ?? 3217);
const PORTS = { https: E2E_PORT + 30, http: E2E_PORT + 31, livelog: E2E_PORT + 32 };
/** Live connections per client address: low, so that one address reaches it in a few requests. */
const VIEWERS_PER_ADDRESS = 3;

test.describe.configure({ mode: 'serial' });

let livelog: ServerProcess;
let nginx: Nginx;
let nginxDir: string | undefined;
let api: APIRequestContext;
let s: Seeded;

test.beforeAll(async () => {
  test.setTimeout(OWN_PROCESS_TIMEOUT_MS);
  if (!nginxInstalled() && process.env.CI) throw new Error('nginx is not installed: scripts/setup.sh --test installs it');
  test.skip(!nginxInstalled(), 'nginx is not installed (bash scripts/setup.sh --test installs it)');
  s = await seed('Behind nginx');
  const publicUrl = `https://127.0.0.1:${PORTS.https}`;
  livelog = await startServerProcess({
    env: {
      ...process.env,
      PORT: String(PORTS.livelog),
      HOST: '127.0.0.1',
      LIVELOG_DB: E2E_DATABASE,
      LOG_LEVEL: 'info', // its request lines are checked against nginx's
      LIVELOG_CATCHUP_MS: '100',
      LIVELOG_CHANGES_PER_MINUTE: '100000',
      // As the README says to run it: nginx on loopback is believed, and the site is https.
      LIVELOG_TRUST_PROXY: 'loopback',
      LIVELOG_PUBLIC_URL: publicUrl,
      LIVELOG_MAX_VIEWERS_PER_ADDRESS: String(VIEWERS_PER_ADDRESS),
    },
    captureLog: true,
    startTimeoutMs: 30_000,
  });
  nginxDir = await mkdtemp(path.join(tmpdir(), 'livelog-nginx-'));
  nginx = await startNginx(nginxDir, PORTS);
  api = await playwrightRequest.newContext({ ignoreHTTPSErrors: true });
});

test.afterAll(async () => {
  await api?.dispose();
  await nginx?.stop();
  await livelog?.stop();
  if (nginxDir) await rm(nginxDir, { recursive: true, force: true });
});

/** Livelog itself, not through nginx. */
const direct = () => livelog.url.replace(/\/$/, '');

async function publish(body: string, base = nginx.url): Promise<{ id: string; seq: number }> {
  const response = await api.post(`${base}/api/streams/${s.slug}/posts`, { headers: { authorization: `Bearer ${s.token}` }, data: { body } });
  expect(response.status()).toBe(201);
  return response.json();
}

/** What the database holds, newest first as the page shows it. */
async function expectedPosts(): Promise<string[]> {
  const { posts } = await (await api.get(`${direct()}/api/streams/${s.slug}/posts?since=0`)).json();
  return posts
    .filter((p: { deleted?: boolean }) => !p.deleted)
    .sort((a: { createdSeq: number }, b: { createdSeq: number }) => b.createdSeq - a.createdSeq)
    .map((p: { id: string; body: string }) => `${p.id}: ${p.body}`);
}

async function viewer(browser: Browser, blockWebsockets = false): Promise<Page> {
  const page = await (await browser.newContext({ ignoreHTTPSErrors: true })).newPage();
  // As a network that refuses websocket upgrades (e2e/resilience.spec.ts does the same).
  if (blockWebsockets) await page.routeWebSocket(/\/live/, (ws) => ws.close({ code: 1006, reason: 'blocked' }));
  await page.goto(`${nginx.url}/s/${s.slug}`);
  await expect(page.locator('#live-status')).toHaveAttribute('data-state', 'live');
  await page.evaluate(() => ((window as unknown as { marker: string }).marker = 'no reload'));
  return page;
}

/** Waits for nginx's access line of a request, written once the request (a live one: its connection) ends. */
async function accessLine(pattern: RegExp): Promise<string> {
  let line: string | undefined;
  await expect.poll(async () => (line = (await nginx.accessLog()).split('\n').find((one) => pattern.test(one)))).toBeTruthy();
  return line!;
}

test('through nginx the page comes over HTTP/2 and a post arrives live on a websocket upgraded over HTTP/1.1', async ({ browser }) => {
  const page = await viewer(browser);
  expect(await page.evaluate(() => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).nextHopProtocol)).toBe('h2');
  const published = Date.now();
  await publish('Kick-off through nginx');
  await expect(page.locator('.post').filter({ hasText: 'Kick-off through nginx' })).toBeVisible({ timeout: 2000 });
  expect(Date.now() - published).toBeLessThan(2000);
  await expectNoReload(page);
  await page.context().close();
  // nginx 1.22 has no websockets over HTTP/2: the browser opened an HTTP/1.1 connection and nginx upgraded it.
  await accessLine(new RegExp(`^127\\.0\\.0\\.1 .*"GET /s/${s.slug}/live\\?since=\\S+ HTTP/1\\.1" 101 `));
  await accessLine(new RegExp(`"GET /s/${s.slug} HTTP/2\\.0" 200 `));

  // Plain http only leads to https.
  const redirect = await new Promise<http.IncomingMessage>((resolve, reject) =>
    http.get(`http://127.0.0.1:${PORTS.http}/s/${s.slug}`, resolve).on('error', reject),
  );
  redirect.resume();
  expect(redirect.statusCode).toBe(301);
  expect(redirect.headers.location).toBe(`https://127.0.0.1/s/${s.slug}`);
});

test('where websockets are blocked, Server-Sent Events through nginx bring each post at once, unbuffered', async ({ browser }) => {
  const page = await viewer(browser, true);
  for (const body of ['First over SSE', 'Second over SSE']) {
    const published = Date.now();
    await publish(body);
    await expect(page.locator('.post').filter({ hasText: body })).toBeVisible({ timeout: 2000 });
    // A buffering proxy holds a small event until its buffer fills or the stream ends.
    expect(Date.now() - published).toBeLessThan(2000);
  }
  await page.context().close();
  await accessLine(new RegExp(`"GET /s/${s.slug}/events\\?since=\\S+ HTTP/2\\.0" 200 `));
});

test('a viewer cut off by an nginx restart resumes with exactly what it missed, without a reload', async ({ browser }) => {
  const page = await viewer(browser);
  const before = await publish('Before the restart');
  await expect(page.locator('.post').filter({ hasText: 'Before the restart' })).toBeVisible();
  await nginx.stop();
  await expect(page.locator('#live-status')).toHaveAttribute('data-state', 'reconnecting');
  // Published straight to Livelog while nginx is down.
  for (const body of ['Missed one', 'Missed two', 'Missed three']) await publish(body, direct());
  const edited = await api.patch(`${direct()}/api/streams/${s.slug}/posts/${before.id}`, {
    headers: { authorization: `Bearer ${s.token}` },
    data: { body: 'Before the restart, corrected' },
  });
  expect(edited.status()).toBe(200);
  await nginx.start();
  await expect(page.locator('#live-status')).toHaveAttribute('data-state', 'live', { timeout: 10_000 });
  await expect.poll(() => shownPosts(page)).toEqual(await expectedPosts());
  await expectNoReload(page);
  await page.context().close();
});

interface LiveConnection {
  status: number;
  close(): void;
}

/** An SSE connection through nginx from a loopback address of its own, as a distinct client. */
function openEvents(localAddress: string, headers: Record<string, string> = {}): Promise<LiveConnection> {
  return new Promise((resolve, reject) => {
    const request = https.get(`${nginx.url}/s/${s.slug}/events?since=0`, { localAddress, headers, rejectUnauthorized: false, agent: false }, (response) => {
      response.resume();
      resolve({ status: response.statusCode!, close: () => request.destroy() });
    });
    request.on('error', reject);
  });
}

test('per-address limits count the real client address through nginx, and a forged X-Forwarded-For does not get around them', async () => {
  const open: LiveConnection[] = [];
  try {
    for (let i = 0; i < VIEWERS_PER_ADDRESS; i++) open.push(await openEvents('127.0.0.2'));
    expect(open.map((connection) => connection.status)).toEqual(Array(VIEWERS_PER_ADDRESS).fill(200));
    const over = await openEvents('127.0.0.2');
    open.push(over);
    expect(over.status).toBe(429);
    const forged = await openEvents('127.0.0.2', { 'x-forwarded-for': '203.0.113.7' });
    open.push(forged);
    expect(forged.status).toBe(429);
    const other = await openEvents('127.0.0.3');
    open.push(other);
    expect(other.status).toBe(200);
  } finally {
    for (const connection of open) connection.close();
  }
  // Livelog's log names the client, and its request id is nginx's: the two logs line up.
  // Polled: the second refusal's line may still be on its way through Livelog's stdout pipe.
  const refusals = () =>
    livelog
      .log()
      .split('\n')
      .filter((line) => line.includes('"live connection refused"'))
      .map((line) => JSON.parse(line) as { address: string; reqId: string });
  await expect.poll(() => refusals().map((refusal) => refusal.address)).toEqual(['127.0.0.2', '127.0.0.2']);
  for (const refusal of refusals()) await accessLine(new RegExp(`^127\\.0\\.0\\.2 .*" 429 .* ${refusal.reqId} `));
});

test('bodies are small through nginx except where a post with photos is published: a big body elsewhere is refused by nginx, unread by Livelog', async () => {
  const big = 'x'.repeat(1024 * 1024);
  const login = await api.post(`${nginx.url}/login`, { headers: { 'content-type': 'application/x-www-form-urlencoded' }, data: `name=a&password=${big}` });
  expect(login.status()).toBe(413);
  expect(await login.text()).toContain('nginx'); // refused at the edge
  // Under nginx's bound but over Livelog's for a form: Livelog's own 413 reaches the client.
  const form = await api.post(`${nginx.url}/login`, { headers: { 'content-type': 'application/x-www-form-urlencoded' }, data: `name=a&password=${'x'.repeat(200 * 1024)}` });
  expect(form.status()).toBe(413);
  expect(await form.text()).not.toContain('nginx');
  // A publish may carry 25 MB of photos: nginx passes it on, and Livelog judges it (here: a bad token).
  const publish = await api.post(`${nginx.url}/api/streams/${s.slug}/posts`, {
    headers: { authorization: 'Bearer not-a-token', 'content-type': 'application/json' },
    data: JSON.stringify({ body: big }),
  });
  expect(publish.status()).toBe(401);
  expect((await publish.json()).code).toBeTruthy();
});

test("compression happens once: Livelog's brotli or gzip answer passes nginx intact, and nginx compresses nothing itself", async () => {
  const page = `${nginx.url}/s/${s.slug}`;
  for (const [encoding, decode] of [['br', brotliDecompressSync], ['gzip', gunzipSync]] as const) {
    const answer = await rawGet(page, { accept: 'text/html', 'accept-encoding': encoding });
    expect(answer.status).toBe(200);
    expect(answer.headers['content-encoding']).toBe(encoding);
    expect(decode(answer.body).toString('utf8')).toMatch(/^<!doctype html>/i); // decoded once, it is the page
  }
  // An answer too small for Livelog to compress (a JSON 404): nginx, whose main config turns gzip on
  // for JSON, leaves it plain too.
  const small = await rawGet(`${nginx.url}/api/streams/no-such-stream/posts`, { 'accept-encoding': 'gzip' });
  expect(small.status).toBe(404);
  expect(small.headers['content-encoding']).toBeUndefined();
  expect(JSON.parse(small.body.toString('utf8')).code).toBeTruthy();
});
