import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { Users } from '../server/auth/users.ts';
import { Tokens } from '../server/auth/tokens.ts';
import { addViewerLink, revokeViewerLinks } from '../server/log/access-commands.ts';
import type { Visibility } from '../server/log/records.ts';
import { addAuthor, AUTHOR_PASSWORD, testApp, type TestApp } from './helpers.ts';
import { Browser, loggedIn } from './browser.ts';
import { photoWithLocation } from './fixtures/photos.ts';
import { REVIEW_READ_ROUTES } from './fixtures/review-routes.ts';

// Who may read what: every read route x every kind of caller x every visibility, as one table.
// A caller a private stream does not admit gets exactly what a stream that does not exist gives
// (status, body and headers): nothing tells them it is there. The route list is checked against
// the app's own, so a new read route cannot be left out of the table.

type Caller = 'anonymous' | 'outsider' | 'member' | 'viewer link' | 'revoked link';
const CALLERS: Caller[] = ['anonymous', 'outsider', 'member', 'viewer link', 'revoked link'];
const VISIBILITIES: Visibility[] = ['public', 'unlisted', 'private'];
/** Each stream has a twin name of the same length that does not exist, to compare answers with. */
const SLUGS: Record<Visibility, string> = { public: 'pub-stream', unlisted: 'unl-stream', private: 'prv-stream' };
const twinOf = (slug: string) => `zz${slug.slice(2)}`;

/** Only a private stream refuses anyone, and only those it does not admit. */
const admitted = (visibility: Visibility, caller: Caller) => visibility !== 'private' || caller === 'member' || caller === 'viewer link';

let t: TestApp;
let base: string;
const browsers = {} as Record<Caller, Browser>;
/** How each caller identifies itself to the API (it reads no cookies). */
const apiAuth = {} as Record<Caller, { headers: Record<string, string>; query: Record<Visibility, string> }>;
const posts = {} as Record<Visibility, { id: string; media: string }>;
const ADMIN = { id: 'test-admin', name: 'test admin', admin: true };

before(async () => {
  t = await testApp();
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  base = `127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
  const outsider = await new Users(t.database).add('outsider', 'outsider password');
  const outsiderToken = await new Tokens(t.database).create(outsider, 'outsider');
  browsers.anonymous = new Browser(t.app);
  browsers.outsider = await loggedIn(t.app, 'outsider', 'outsider password');
  browsers.member = await loggedIn(t.app, 'reporter', AUTHOR_PASSWORD);
  browsers['viewer link'] = new Browser(t.app);
  browsers['revoked link'] = new Browser(t.app);
  const none = { public: '', unlisted: '', private: '' };
  apiAuth.anonymous = { headers: {}, query: none };
  apiAuth.outsider = { headers: { authorization: `Bearer ${outsiderToken}` }, query: none };
  apiAuth.member = { headers: { authorization: `Bearer ${t.token}` }, query: none };
  apiAuth['viewer link'] = { headers: {}, query: { ...none } };
  apiAuth['revoked link'] = { headers: {}, query: { ...none } };

  for (const visibility of VISIBILITIES) {
    const slug = SLUGS[visibility];
    await t.app.livelog.streams.create(slug, `The ${visibility} one`, t.author._id, '', 'newest', visibility);
    await addAuthor(t.app, slug, t.author);
    posts[visibility] = await publishWithPhoto(slug);
    const projection = await t.app.livelog.projections.require(slug);
    // A link opened (its cookie kept), then revoked; then a new one that works.
    const revoked = (await addViewerLink(projection, { actor: ADMIN, key: `first-${slug}` })).key!;
    assert.equal((await browsers['revoked link'].request('GET', `/s/${slug}?key=${revoked}`)).statusCode, 303);
    await revokeViewerLinks(projection, { actor: ADMIN, key: `revoke-${slug}` });
    const working = (await addViewerLink(projection, { actor: ADMIN, key: `second-${slug}` })).key!;
    const opened = await browsers['viewer link'].request('GET', `/s/${slug}?key=${working}&order=oldest`);
    assert.equal(opened.statusCode, 303);
    assert.equal(opened.headers.location, `/s/${slug}?order=oldest`, 'the key leaves the address');
    apiAuth['viewer link'].query[visibility] = working;
    apiAuth['revoked link'].query[visibility] = revoked;
  }
});
after(() => t.close());

async function publishWithPhoto(slug: string): Promise<{ id: string; media: string }> {
  const form = new FormData();
  form.append('body', 'Doors open');
  form.append('photo', new Blob([new Uint8Array(await photoWithLocation(40, 30))], { type: 'image/jpeg' }), 'doors.jpg');
  form.append('alt', 'The doors');
  const response = await fetch(`http://${base}/api/streams/${slug}/posts`, { method: 'POST', headers: { authorization: `Bearer ${t.token}` }, body: form });
  assert.equal(response.status, 201);
  const { id } = await response.json();
  const read = await t.app.inject({ url: `/api/streams/${slug}/posts`, headers: { authorization: `Bearer ${t.token}` } });
  return { id, media: read.json().posts[0].media[0].url.split('/').at(-1) };
}

interface Answer {
  status: number;
  body: string;
  headers: Record<string, unknown>;
}

interface Call {
  slug: string;
  /** The stream the call is about: its post and photo are asked for under `slug`. */
  visibility: Visibility;
  caller: Caller;
}

const cookieHeader = (caller: Caller) =>
  Object.entries(browsers[caller].cookieJar())
    .map(([name, value]) => `${name}=${value}`)
    .join('; ');

async function get(url: string, { caller }: Call, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await t.app.inject({ url, headers: { accept: 'text/html', cookie: cookieHeader(caller), ...headers } });
  return { status: response.statusCode, body: response.body, headers: response.headers };
}

/** A websocket's first word: 200 for a hello, 404 for "no such stream" (close 4404). */
function live({ slug, caller }: Call): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://${base}/s/${slug}/live?since=0`, { headers: { cookie: cookieHeader(caller) } });
    socket.once('message', (data) => {
      socket.close();
      resolve({ status: JSON.parse(String(data)).t === 'hello' ? 200 : 500, body: '', headers: {} });
    });
    socket.once('close', (code, reason) => resolve({ status: code === 4404 ? 404 : code, body: String(reason), headers: {} }));
    socket.once('error', reject);
  });
}

async function events({ slug, caller }: Call): Promise<Answer> {
  const controller = new AbortController();
  const response = await fetch(`http://${base}/s/${slug}/events?since=0`, { headers: { cookie: cookieHeader(caller) }, signal: controller.signal });
  const body = response.status === 200 ? '' : await response.text();
  controller.abort();
  return { status: response.status, body, headers: Object.fromEntries(response.headers) };
}

/** Every read route, and what an admitted caller gets from it. */
const ROUTES: Record<string, { ok: number; read(call: Call): Promise<Answer> }> = {
  'GET /s/:slug': { ok: 200, read: (c) => get(`/s/${c.slug}`, c) },
  'GET /s/:slug/p/:id': { ok: 302, read: (c) => get(`/s/${c.slug}/p/${posts[c.visibility].id}`, c) },
  'GET /s/:slug/live': { ok: 200, read: live },
  'GET /s/:slug/events': { ok: 200, read: events },
  'GET /s/:slug/feed.xml': { ok: 200, read: (c) => get(`/s/${c.slug}/feed.xml`, c) },
  'GET /s/:slug/feed.json': { ok: 200, read: (c) => get(`/s/${c.slug}/feed.json`, c) },
  'GET /s/:slug/embed': { ok: 200, read: (c) => get(`/s/${c.slug}/embed`, c) },
  'GET /s/:slug/media/:file': { ok: 200, read: (c) => get(`/s/${c.slug}/media/${posts[c.visibility].media}`, c) },
  'GET /s/:slug/posts/:id': { ok: 200, read: (c) => get(`/s/${c.slug}/posts/${posts[c.visibility].id}`, c, { accept: 'application/json' }) },
  'GET /s/:slug/posts/:id/edit': { ok: 200, read: (c) => get(`/s/${c.slug}/posts/${posts[c.visibility].id}/edit`, c) },
  'GET /api/streams/:slug/posts': {
    ok: 200,
    read: async (c) => {
      const key = apiAuth[c.caller].query[c.visibility];
      const response = await t.app.inject({ url: `/api/streams/${c.slug}/posts${key ? `?key=${key}` : ''}`, headers: apiAuth[c.caller].headers });
      return { status: response.statusCode, body: response.body, headers: response.headers };
    },
  },
};

/** What a caller gets. The edit page sends whoever is not signed in to log in first, before it
 *  looks for the stream (so that tells nothing either); only the post's author may edit. */
function expected(route: string, visibility: Visibility, caller: Caller): number {
  const edit = route === 'GET /s/:slug/posts/:id/edit';
  if (edit && caller !== 'member' && caller !== 'outsider') return 303;
  if (!admitted(visibility, caller)) return 404;
  if (edit) return caller === 'member' ? 200 : 403;
  return ROUTES[route]!.ok;
}

/** Headers that differ between any two answers. */
const VARYING = new Set(['date', 'request-id', 'x-request-id', 'set-cookie']);
const comparable = (headers: Record<string, unknown>) => Object.fromEntries(Object.entries(headers).filter(([name]) => !VARYING.has(name)));

/** The app's GET routes, from Fastify's own tree (each line's depth is its indentation). */
function getRoutes(): string[] {
  const prefixes: string[] = [];
  const routes: string[] = [];
  for (const line of t.app.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = /^(.*?)[├└]── (\S+) \(([^)]*)\)/.exec(line);
    if (!match) continue;
    const depth = match[1]!.length / 4;
    const path = (prefixes[depth - 1] ?? '') + match[2]!;
    prefixes[depth] = path;
    if (match[3]!.includes('GET')) routes.push(path.replace(/^\/\//, '/'));
  }
  return routes;
}

test('every GET route under a stream is in the table', () => {
  const listed = getRoutes();
  const streamRoutes = listed.filter((path) => /^\/(s|api\/streams)\/:slug/.test(path)).map((path) => `GET ${path}`);
  assert.ok(streamRoutes.length >= 10, `routes found: ${listed.join(', ')}`);
  assert.deepEqual(streamRoutes.filter((route) => !(route in ROUTES) && !REVIEW_READ_ROUTES.includes(route)), []);
});

for (const visibility of VISIBILITIES) {
  test(`reading a ${visibility} stream: who gets what on every route`, async () => {
    const slug = SLUGS[visibility];
    const failures: string[] = [];
    for (const [route, { read }] of Object.entries(ROUTES)) {
      for (const caller of CALLERS) {
        const want = expected(route, visibility, caller);
        const answer = await read({ slug, visibility, caller });
        if (answer.status !== want) failures.push(`${route} as ${caller}: ${answer.status}, expected ${want}`);
        if (want !== 404 || answer.status !== 404) continue;
        // Refused exactly as a stream that does not exist is.
        const missing = await read({ slug: twinOf(slug), visibility, caller });
        if (missing.body.replaceAll(twinOf(slug), slug) !== answer.body) failures.push(`${route} as ${caller}: body differs from a missing stream's`);
        assert.deepEqual(comparable(answer.headers), comparable(missing.headers), `${route} as ${caller}: headers`);
      }
    }
    assert.deepEqual(failures, []);
  });
}
test('unlisted and private streams are not on the home page, and their pages are not for indexes or shared caches', async () => {
  const home = (await browsers.member.request('GET', '/')).body;
  assert.match(home, /data-stream="pub-stream"/);
  assert.doesNotMatch(home, /unl-stream|prv-stream|The private one|The unlisted one/);
  for (const visibility of ['unlisted', 'private'] as const) {
    const page = await get(`/s/${SLUGS[visibility]}`, { slug: SLUGS[visibility], visibility, caller: 'member' });
    assert.equal(page.headers['x-robots-tag'], 'noindex, nofollow');
    assert.equal(page.headers['cache-control'], 'no-store');
    assert.match(page.body, /<meta name="robots" content="noindex, nofollow">/);
    assert.doesNotMatch(page.body, /application\/ld\+json/);
    const photo = await get(`/s/${SLUGS[visibility]}/media/${posts[visibility].media}`, { slug: SLUGS[visibility], visibility, caller: 'member' });
    assert.match(String(photo.headers['cache-control']), /^private/);
    const feed = await get(`/s/${SLUGS[visibility]}/feed.xml`, { slug: SLUGS[visibility], visibility, caller: 'member' });
    assert.match(String(feed.headers['cache-control']), /^private/);
  }
  const open = await get('/s/pub-stream', { slug: 'pub-stream', visibility: 'public', caller: 'anonymous' });
  assert.equal(open.headers['x-robots-tag'], undefined);
  assert.match(open.body, /application\/ld\+json/);
});

test('changing a private stream one may not watch answers as for a stream that does not exist, whatever is sent', async () => {
  const outsiderToken = apiAuth.outsider.headers.authorization!;
  const csrf = Browser.field((await browsers.outsider.request('GET', '/')).body, '_csrf');
  const id = posts.private.id;
  const calls: [string, (slug: string) => Promise<{ statusCode: number; body: string }>][] = [
    ['API publish', (slug) => t.app.inject({ method: 'POST', url: `/api/streams/${slug}/posts`, headers: { authorization: outsiderToken }, payload: { body: 'hi' } })],
    ['API publish, bad body', (slug) => t.app.inject({ method: 'POST', url: `/api/streams/${slug}/posts`, headers: { authorization: outsiderToken }, payload: { nope: 1 } })],
    ['API edit', (slug) => t.app.inject({ method: 'PATCH', url: `/api/streams/${slug}/posts/${id}`, headers: { authorization: outsiderToken }, payload: { body: 'x' } })],
    ['API delete', (slug) => t.app.inject({ method: 'DELETE', url: `/api/streams/${slug}/posts/${id}`, headers: { authorization: outsiderToken } })],
    ['API status', (slug) => t.app.inject({ method: 'PUT', url: `/api/streams/${slug}/status`, headers: { authorization: outsiderToken }, payload: { status: 'ended' } })],
    ['API visibility', (slug) => t.app.inject({ method: 'PUT', url: `/api/streams/${slug}/visibility`, headers: { authorization: outsiderToken }, payload: { visibility: 'public' } })],
    ['API new link', (slug) => t.app.inject({ method: 'POST', url: `/api/streams/${slug}/viewer-links`, headers: { authorization: outsiderToken } })],
    ['page publish', (slug) => browsers.outsider.request('POST', `/s/${slug}/posts`, { _csrf: csrf, body: 'hi', key: 'outsider-key-1' })],
    ['page publish, no CSRF token', (slug) => browsers.outsider.request('POST', `/s/${slug}/posts`, { body: 'hi', key: 'outsider-key-2' })],
    ['page delete', (slug) => browsers.outsider.request('POST', `/s/${slug}/posts/${id}/delete`, { _csrf: csrf, key: 'outsider-key-3' })],
  ];
  for (const [what, call] of calls) {
    const [hidden, missing] = [await call(SLUGS.private), await call(twinOf(SLUGS.private))];
    assert.equal(hidden.statusCode, missing.statusCode, what);
    assert.equal(hidden.body, missing.body.replaceAll(twinOf(SLUGS.private), SLUGS.private), what);
  }
  const read = await t.app.inject({ url: `/api/streams/${SLUGS.private}/posts`, headers: { authorization: `Bearer ${t.token}` } });
  assert.equal(read.json().posts.length, 1, 'nothing was published');
});
