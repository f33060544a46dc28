import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { MongoChangeStore } from '../server/log/mongo-store.ts';
import { Users } from '../server/auth/users.ts';
import { Tokens } from '../server/auth/tokens.ts';
import { Streams } from '../server/log/streams.ts';
import { addAuthor, AUTHOR_PASSWORD, testApp, type TestApp } from './helpers.ts';
import { Browser, csrfFor } from './browser.ts';

// Every route that changes something, for every kind of caller, with the status each must get.
// Stream "launch" has the author "reporter"; "outsider" is an author of another stream only.

let t: TestApp;
const browsers: Record<string, { browser: Browser; csrf: string }> = {};
const tokens: Record<string, string | undefined> = {};

before(async () => {
  t = await testApp();
  const users = new Users(t.database);
  const tokenStore = new Tokens(t.database);
  await new Streams(new MongoChangeStore(t.database)).create('other', 'Another stream', 'test');
  const outsider = await users.add('outsider', 'outsider password');
  await addAuthor(t.app, 'other', outsider);
  const admin = await users.add('boss', 'admin password', true);
  await users.add('bystander', 'bystander password');

  for (const [who, name, password] of [
    ['anonymous', '', ''],
    ['outsider', 'outsider', 'outsider password'],
    ['author', 'reporter', AUTHOR_PASSWORD],
    ['admin', 'boss', 'admin password'],
  ] as const) {
    const browser = new Browser(t.app);
    if (name) assert.equal((await browser.logIn(name, password)).statusCode, 303);
    browsers[who] = { browser, csrf: await csrfFor(browser, Boolean(name)) };
  }

  const revoked = await tokenStore.create(t.author, 'revoked');
  const revokedId = (await tokenStore.list()).find((x) => x.name === 'revoked')!.id;
  await tokenStore.revoke(revokedId);
  Object.assign(tokens, {
    none: undefined,
    invalid: 'livelog_not-a-real-token',
    revoked,
    'other-stream token': await tokenStore.create(t.author, 'scoped', 'other'),
    'this-stream token': await tokenStore.create(t.author, 'scoped here', t.slug),
    'outsider token': await tokenStore.create(outsider, 'outsider'),
    'author token': t.token,
    'admin token': await tokenStore.create(admin, 'admin'),
  });
});
after(() => t.close());

/** A fresh post by the author, for a route that changes or removes one. */
async function freshPost(): Promise<{ id: string; seq: number }> {
  const response = await t.app.inject({
    method: 'POST',
    url: `/api/streams/${t.slug}/posts`,
    headers: { authorization: `Bearer ${t.token}` },
    payload: { body: `post ${randomUUID()}` },
  });
  return response.json();
}

const LOGIN = 'login'; // a 303 to the login page
const pageRoutes: { route: string; form: (post: { id: string; seq: number }) => [string, Record<string, string>]; expect: Record<string, number | string> }[] = [
  {
    route: 'POST /s/:slug/posts',
    form: () => [`/s/${t.slug}/posts`, { body: 'hello', key: randomUUID() }],
    expect: { anonymous: LOGIN, outsider: 403, author: 303, admin: 303 },
  },
  {
    route: 'POST /s/:slug/posts/:id/edit',
    form: (p) => [`/s/${t.slug}/posts/${p.id}/edit`, { body: 'edited', baseSeq: String(p.seq), key: randomUUID() }],
    expect: { anonymous: LOGIN, outsider: 403, author: 303, admin: 303 },
  },
  {
    route: 'POST /s/:slug/posts/:id/pin',
    form: (p) => [`/s/${t.slug}/posts/${p.id}/pin`, { pinned: 'true', key: randomUUID() }],
    expect: { anonymous: LOGIN, outsider: 403, author: 303, admin: 303 },
  },
  {
    route: 'POST /s/:slug/posts/:id/delete',
    form: (p) => [`/s/${t.slug}/posts/${p.id}/delete`, { key: randomUUID(), confirm: 'yes' }],
    expect: { anonymous: LOGIN, outsider: 403, author: 303, admin: 303 },
  },
  {
    route: 'POST /s/:slug/posts/:id/key',
    form: (p) => [`/s/${t.slug}/posts/${p.id}/key`, { keyMoment: 'true', key: randomUUID() }],
    expect: { anonymous: LOGIN, outsider: 403, author: 303, admin: 303 },
  },
  {
    // Without `confirm`, the no-JavaScript delete asks first, but only someone who may delete.
    route: 'POST /s/:slug/posts/:id/delete (unconfirmed)',
    form: (p) => [`/s/${t.slug}/posts/${p.id}/delete`, { key: randomUUID() }],
    expect: { anonymous: LOGIN, outsider: 403, author: 200, admin: 200 },
  },
  {
    route: 'POST /admin/users',
    form: () => ['/admin/users', { name: `user-${randomUUID().slice(0, 8)}`, password: 'long enough' }],
    expect: { anonymous: LOGIN, outsider: 403, author: 403, admin: 303 },
  },
  {
    route: 'POST /admin/streams/:slug/order',
    form: () => [`/admin/streams/${t.slug}/order`, { order: 'newest' }],
    expect: { anonymous: LOGIN, outsider: 403, author: 403, admin: 303 },
  },
  {
    route: 'POST /admin/streams/:slug/visibility',
    form: () => [`/admin/streams/${t.slug}/visibility`, { visibility: 'public' }],
    expect: { anonymous: LOGIN, outsider: 403, author: 403, admin: 303 },
  },
  {
    route: 'POST /admin/streams/:slug/viewer-links',
    form: () => [`/admin/streams/${t.slug}/viewer-links`, {}],
    expect: { anonymous: LOGIN, outsider: 403, author: 403, admin: 200 },
  },
  { // After the route above made a link for the admin.
    route: 'POST /admin/streams/:slug/viewer-links/revoke',
    form: () => [`/admin/streams/${t.slug}/viewer-links/revoke`, {}],
    expect: { anonymous: LOGIN, outsider: 403, author: 403, admin: 303 },
  },
  {
    route: 'POST /admin/streams',
    form: () => ['/admin/streams', { slug: `s-${randomUUID().slice(0, 8)}`, title: 'New' }],
    expect: { anonymous: LOGIN, outsider: 403, author: 403, admin: 303 },
  },
  {
    route: 'POST /admin/streams/:slug/authors',
    form: () => [`/admin/streams/${t.slug}/authors`, { name: 'bystander', action: 'add' }],
    expect: { anonymous: LOGIN, outsider: 403, author: 403, admin: 303 },
  },
  {
    route: 'POST /admin/tokens/:id/revoke',
    form: () => [`/admin/tokens/${'ab'.repeat(6)}/revoke`, {}],
    expect: { anonymous: LOGIN, outsider: 403, author: 403, admin: 404 }, // admitted; no such token
  },
  {
    route: 'POST /admin/tokens',
    form: () => ['/admin/tokens', { name: 'reporter', label: 'made by admin' }],
    expect: { anonymous: LOGIN, outsider: 403, author: 403, admin: 200 },
  },
];

for (const { route, form, expect } of pageRoutes) {
  test(`page route ${route}: ${Object.entries(expect).map(([w, s]) => `${w} → ${s}`).join(', ')}`, async () => {
    for (const [who, expected] of Object.entries(expect)) {
      const { browser, csrf } = browsers[who]!;
      const [url, fields] = form(await freshPost());
      const response = await browser.request('POST', url, { ...fields, _csrf: csrf });
      if (expected === LOGIN) {
        assert.equal(response.statusCode, 303, `${who}`);
        assert.match(String(response.headers.location), /^\/login/, who);
      } else {
        assert.equal(response.statusCode, expected, `${who}: ${response.body.slice(0, 200)}`);
      }
    }
  });
}

test('the admin page: anonymous → login, outsider and author → 403, admin → 200', async () => {
  const statuses = await Promise.all(
    ['anonymous', 'outsider', 'author', 'admin'].map(async (who) => (await browsers[who]!.browser.request('GET', '/admin')).statusCode),
  );
  assert.deepEqual(statuses, [303, 403, 403, 200]);
});

test('without a CSRF token no page route changes anything, even for an admin', async () => {
  const { browser } = browsers.admin!;
  const post = await freshPost();
  for (const [url, fields] of pageRoutes.map((r) => r.form(post))) {
    const response = await browser.request('POST', url, fields);
    assert.equal(response.statusCode, 403, url);
  }
});

const apiExpect: Record<string, number> = {
  none: 401,
  invalid: 401,
  revoked: 401,
  'other-stream token': 403,
  'outsider token': 403,
  'this-stream token': 0, // success, as below
  'author token': 0,
  'admin token': 0,
};
const apiRoutes: { route: string; call: (post: { id: string; seq: number }) => { method: 'POST' | 'PATCH' | 'DELETE' | 'PUT'; url: string; payload?: object }; ok: number }[] = [
  { route: 'POST /api/streams/:slug/posts', call: () => ({ method: 'POST', url: `/api/streams/${t.slug}/posts`, payload: { body: 'api' } }), ok: 201 },
  { route: 'PATCH /api/streams/:slug/posts/:id (text)', call: (p) => ({ method: 'PATCH', url: `/api/streams/${t.slug}/posts/${p.id}`, payload: { body: 'api edit' } }), ok: 200 },
  { route: 'PATCH /api/streams/:slug/posts/:id (pin)', call: (p) => ({ method: 'PATCH', url: `/api/streams/${t.slug}/posts/${p.id}`, payload: { pinned: true } }), ok: 200 },
  { route: 'DELETE /api/streams/:slug/posts/:id', call: (p) => ({ method: 'DELETE', url: `/api/streams/${t.slug}/posts/${p.id}` }), ok: 200 },
];

for (const { route, call, ok } of apiRoutes) {
  test(`API route ${route}: no, invalid or revoked token → 401; other stream's or outsider's → 403; author's or admin's → ${ok}`, async () => {
    for (const [who, expected] of Object.entries(apiExpect)) {
      const token = tokens[who];
      const response = await t.app.inject({ ...call(await freshPost()), headers: token ? { authorization: `Bearer ${token}` } : {} });
      assert.equal(response.statusCode, expected || ok, `${who}: ${response.body.slice(0, 200)}`);
    }
  });
}

test('API route PUT /api/streams/:slug/status follows the same rules', async () => {
  for (const [who, expected] of Object.entries(apiExpect)) {
    const token = tokens[who];
    const headers = token ? { authorization: `Bearer ${token}` } : {};
    const end = await t.app.inject({ method: 'PUT', url: `/api/streams/${t.slug}/status`, headers, payload: { status: 'ended' } });
    assert.equal(end.statusCode, expected || 200, `${who}: ${end.body.slice(0, 200)}`);
    if (end.statusCode === 200) {
      const reopen = await t.app.inject({ method: 'PUT', url: `/api/streams/${t.slug}/status`, headers, payload: { status: 'live' } });
      assert.equal(reopen.statusCode, 200);
    }
  }
});

test('API routes of who may watch a stream (visibility, viewer links): tokens as above, but only an admin’s succeeds', async () => {
  const calls = [
    { method: 'PUT', url: `/api/streams/${t.slug}/visibility`, payload: { visibility: 'unlisted' }, ok: 200 },
    { method: 'POST', url: `/api/streams/${t.slug}/viewer-links`, ok: 201 },
    { method: 'DELETE', url: `/api/streams/${t.slug}/viewer-links`, ok: 200 },
    { method: 'PUT', url: `/api/streams/${t.slug}/visibility`, payload: { visibility: 'public' }, ok: 200 },
  ] as const;
  for (const { ok, ...call } of calls) {
    for (const [who, expected] of Object.entries(apiExpect)) {
      const response = await t.app.inject({ ...call, headers: tokens[who] ? { authorization: `Bearer ${tokens[who]}` } : {} });
      assert.equal(response.statusCode, expected || (who === 'admin token' ? ok : 403), `${call.method} ${call.url} as ${who}: ${response.body.slice(0, 200)}`);
    }
  }
});

test("an author may not edit or delete another author's post, but an admin may", async () => {
  const users = new Users(t.database);
  const colleague = await users.add('colleague', 'colleague password');
  await addAuthor(t.app, t.slug, colleague);
  const colleagueToken = await new Tokens(t.database).create(colleague, 'c');
  const post = await freshPost(); // by "reporter"
  const as = (token: string, method: 'PATCH' | 'DELETE', payload?: object) =>
    t.app.inject({ method, url: `/api/streams/${t.slug}/posts/${post.id}`, headers: { authorization: `Bearer ${token}` }, payload });
  assert.equal((await as(colleagueToken, 'PATCH', { body: 'not mine' })).statusCode, 403);
  assert.equal((await as(colleagueToken, 'DELETE')).statusCode, 403);
  assert.equal((await as(colleagueToken, 'PATCH', { pinned: true })).statusCode, 200, 'pinning is editorial: any author');
  assert.equal((await as(tokens['admin token']!, 'DELETE')).statusCode, 200);
});

test('reading a stream is public: page, API and live replay need no login', async () => {
  assert.equal((await t.app.inject(`/api/streams/${t.slug}/posts`)).statusCode, 200);
  assert.equal((await t.app.inject({ url: `/s/${t.slug}`, headers: { accept: 'text/html' } })).statusCode, 200);
});
