import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { UserRecord } from '../server/auth/types.ts';
import { Users } from '../server/auth/users.ts';
import { deletePost, publishPost } from '../server/log/commands.ts';
import { MongoChangeStore } from '../server/log/mongo-store.ts';
import { loadStreamProjection } from '../server/log/projection.ts';
import { AUTHOR_PASSWORD, testApp, type TestApp } from './helpers.ts';
import { Browser, loggedIn } from './browser.ts';

// Headlines, key moments, permalinks at any depth, the order setting, and the authors' actions as
// plain forms (no JavaScript): the API, the pages and the forms against a real database.

let t: TestApp;
/** An admin who is not one of the stream's authors. */
let chief: UserRecord;
before(async () => {
  t = await testApp();
  await new Users(t.database).add('reader', AUTHOR_PASSWORD);
  chief = await new Users(t.database).add('chief', AUTHOR_PASSWORD, true);
});
after(() => t.close());

const api = (method: 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
  t.app.inject({ method, url: `/api/streams/${t.slug}${url}`, headers: { authorization: `Bearer ${t.token}` }, payload });
const publish = async (body: string, headline?: string) => {
  const response = await api('POST', '/posts', { body, ...(headline === undefined ? {} : { headline }) });
  assert.equal(response.statusCode, 201, response.body);
  return response.json() as { id: string; seq: number; url: string };
};
const postJson = async (id: string) => {
  const { posts } = (await t.app.inject(`/api/streams/${t.slug}/posts?since=0&limit=1000`)).json() as { posts: { id: string }[] };
  return posts.find((p) => p.id === id) as Record<string, unknown> | undefined;
};

test('the API publishes and edits a headline, marks and unmarks a key moment, and says so in the post JSON', async () => {
  const post = await publish('Home score in the 12th minute', ' Goal! 1–0 ');
  assert.equal(post.url, `/s/${t.slug}/p/${post.id}`);
  assert.deepEqual([(await postJson(post.id))?.headline, (await postJson(post.id))?.key], ['Goal! 1–0', false]);
  const marked = await api('PATCH', `/posts/${post.id}`, { key: true });
  assert.equal(marked.statusCode, 200, marked.body);
  assert.equal(marked.json().type, 'key');
  assert.equal((await postJson(post.id))?.key, true);
  assert.equal((await api('PATCH', `/posts/${post.id}`, { headline: 'Goal! Home lead 1–0' })).statusCode, 200);
  assert.equal((await api('PATCH', `/posts/${post.id}`, { body: 'Header from the corner', headline: '' })).statusCode, 200);
  const json = await postJson(post.id);
  assert.deepEqual([json?.headline, json?.body, json?.key], [null, 'Header from the corner', true]);
  assert.equal((await api('PATCH', `/posts/${post.id}`, { key: false })).statusCode, 200);
  assert.equal((await postJson(post.id))?.key, false);
});

test('a bad headline or key, or an unknown post, is a clear 4xx and stores nothing', async () => {
  const post = await publish('Half time');
  const count = await t.database.collection('changes').countDocuments();
  for (const [payload, status] of [
    [{ body: 'x', headline: 'two\nlines' }, 400],
    [{ headline: 'h'.repeat(141) }, 400],
    [{ headline: 'h'.repeat(2000) }, 400],
    [{ key: 'yes' }, 400],
    [{ key: true, pinned: true }, 400],
  ] as const) {
    const response = await api('PATCH', `/posts/${post.id}`, payload);
    assert.equal(response.statusCode, status, JSON.stringify(payload));
    assert.equal(typeof response.json().message, 'string');
  }
  assert.equal((await api('POST', '/posts', { body: 'x', headline: 'bell\u0007' })).json().code, 'LIVELOG_INVALID_HEADLINE');
  assert.equal((await api('PATCH', '/posts/00000000-0000-4000-8000-000000000000', { key: true })).statusCode, 404);
  assert.equal((await api('PATCH', '/posts/not-a-uuid', { key: true })).statusCode, 400);
  assert.equal(await t.database.collection('changes').countDocuments(), count);
});

test('a permalink opens the page a post falls on at any depth, highlighted; an unknown or deleted post is a 404 page', async () => {
  const slug = 'deep';
  await t.app.livelog.streams.create(slug, 'A long day', chief._id);
  const projection = await t.app.livelog.projections.require(slug);
  const actor = { id: chief._id, name: chief.name, admin: true };
  const ids: string[] = [];
  for (let i = 1; i <= 160; i++) {
    const { record } = await publishPost(projection, { actor, body: `Update number ${i}`, key: `deep-post-${i}` });
    ids.push(record.postId!);
  }
  const target = ids[29]!; // post 30: newest first, 50 a page, the third page (60 … 11)
  const link = await t.app.inject(`/s/${slug}/p/${target}`);
  assert.equal(link.statusCode, 302);
  assert.equal(link.headers.location, `/s/${slug}?post=${target}#post-${target}`);
  const page = await t.app.inject(String(link.headers.location).split('#')[0]!);
  assert.equal(page.statusCode, 200);
  const shown = [...page.body.matchAll(/<p>Update number (\d+)<\/p>/g)].map((m) => Number(m[1]));
  assert.deepEqual([shown[0], shown.at(-1), shown.length], [60, 11, 50]);
  assert.match(page.body, new RegExp(`<article aria-current="true" class="post highlighted" id="post-${target}"`));
  assert.match(page.body, /data-live="false"/);
  assert.doesNotMatch(page.body, /Live page/);
  assert.match(page.body, /You are viewing earlier updates — <a href="\/s\/deep">Back to the latest<\/a>/);
  assert.match(page.body, /href="\/s\/deep\?after=60" rel="prev">Newer updates/);
  assert.match(page.body, /href="\/s\/deep\?before=11" rel="next">Load older updates/);
  // Oldest first, post 30 is on the first page; the toggle and the address carry the order.
  const oldest = await t.app.inject(`/s/${slug}?post=${target}&order=oldest`);
  assert.match(oldest.body, /data-order="oldest"/);
  assert.deepEqual([...oldest.body.matchAll(/<p>Update number (\d+)<\/p>/g)].slice(0, 2).map((m) => Number(m[1])), [1, 2]);
  assert.match(oldest.body, /href="\/s\/deep\?after=50&amp;order=oldest" rel="next">Load later updates/);
  // Oldest first without a cursor is the live page too: the newest 50, read down to the latest.
  const oldestLive = await t.app.inject(`/s/${slug}?order=oldest`);
  assert.match(oldestLive.body, /data-live="true"/);
  const oldestShown = [...oldestLive.body.matchAll(/<p>Update number (\d+)<\/p>/g)].map((m) => Number(m[1]));
  assert.deepEqual([oldestShown[0], oldestShown.at(-1), oldestShown.length], [111, 160, 50]);
  assert.match(oldestLive.body, /href="\/s\/deep\?after=0&amp;order=oldest">From the first update/);
  // A cursor past the end leads to the latest page rather than an empty one that claims to be live.
  const past = await t.app.inject(`/s/${slug}?after=99999&order=oldest`);
  assert.equal(past.statusCode, 303);
  assert.equal(past.headers.location, `/s/${slug}?order=oldest`);
  // The live page says how to see new updates without a script; the latest page is the live one.
  const latest = await t.app.inject(`/s/${slug}`);
  assert.match(latest.body, /data-live="true"/);
  assert.match(latest.body, /<noscript><p class="noscript-note">Reload the page to see new updates\.<\/p><\/noscript>/);
  for (const url of [`/s/${slug}/p/00000000-0000-4000-8000-000000000000`, `/s/${slug}/p/nonsense`, `/s/${slug}?post=nonsense`]) {
    const missing = await t.app.inject({ url, headers: { accept: 'text/html' } });
    assert.equal(missing.statusCode, 404, url);
    assert.match(missing.headers['content-type'] as string, /text\/html/);
  }
  await deletePost(projection, { actor, postId: target, key: 'deep-delete-30' });
  assert.equal((await t.app.inject(`/s/${slug}/p/${target}`)).statusCode, 404);
});

test('the key moments list at the top links to each key post, oldest first, and is hidden when empty', async () => {
  const before = await t.app.inject(`/s/${t.slug}`);
  assert.match(before.body, /<nav class="key-moments" id="key-moments" aria-labelledby="key-moments-title" hidden>/);
  const first = await publish('Kick-off in the rain', 'Kick-off');
  const second = await publish('A **volley** from 25 metres');
  for (const { id } of [second, first]) assert.equal((await api('PATCH', `/posts/${id}`, { key: true })).statusCode, 200);
  const page = (await t.app.inject(`/s/${t.slug}`)).body;
  const list = /<nav class="key-moments"[^>]*>([\s\S]*?)<\/nav>/.exec(page)?.[1] ?? '';
  const links = [...list.matchAll(/<a href="([^"]+)" data-post-id="[^"]+"><time[^>]*>[^<]*<\/time> ([^<]*)<\/a>/g)].map((m) => [m[1], m[2]]);
  assert.deepEqual(links, [
    [`/s/${t.slug}/p/${first.id}`, 'Kick-off'],
    [`/s/${t.slug}/p/${second.id}`, 'A volley from 25 metres'],
  ]);
  assert.match(page, new RegExp(`class="post key" id="post-${second.id}"[^>]*data-key="true"`));
});

test('without JavaScript an author pins, marks key, edits and deletes (after confirming) with plain forms', async () => {
  const post = await publish('Line-ups are out');
  const browser = await loggedIn(t.app, 'reporter', AUTHOR_PASSWORD);
  const form = async (action: string) => {
    const page = (await browser.request('GET', `/s/${t.slug}`)).body;
    const match = new RegExp(`<form method="post" action="/s/${t.slug}/posts/${post.id}/${action}"[^>]*>([\\s\\S]*?)</form>`).exec(page);
    assert.ok(match, `a ${action} form on the post`);
    return Object.fromEntries([...match[1]!.matchAll(/name="([^"]+)" value="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
  };
  const submit = (action: string, fields: Record<string, string>) => browser.request('POST', `/s/${t.slug}/posts/${post.id}/${action}`, fields);
  const pinned = await submit('pin', await form('pin'));
  assert.equal(pinned.statusCode, 303);
  assert.match(String(pinned.headers.location), new RegExp(`^/s/${t.slug}\\?post=${post.id}&at=\\d+#post-${post.id}$`));
  const keyed = await submit('key', await form('key'));
  assert.equal(keyed.statusCode, 303);
  const after = (await browser.request('GET', String(keyed.headers.location).split('#')[0]!)).body;
  assert.match(after, new RegExp(`class="post highlighted pinned key" id="post-${post.id}"`));
  assert.match(after, /<span class="visually-hidden"> update by reporter at \d\d:\d\d UTC<\/span>/);
  // Edit: a page of its own, with the headline.
  const edit = await browser.request('GET', `/s/${t.slug}/posts/${post.id}/edit`);
  assert.equal(edit.statusCode, 200);
  const fields = Object.fromEntries([...edit.body.matchAll(/name="(_csrf|key|baseSeq)" value="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
  const saved = await submit('edit', { ...fields, body: 'Line-ups: unchanged', headline: 'Team news' });
  assert.equal(saved.statusCode, 303);
  assert.deepEqual([(await postJson(post.id))?.headline, (await postJson(post.id))?.body], ['Team news', 'Line-ups: unchanged']);
  // Delete asks first: the same form, confirmed, deletes.
  const asked = await submit('delete', await form('delete'));
  assert.equal(asked.statusCode, 200);
  assert.match(asked.body, /Delete this update\?/);
  assert.ok(await postJson(post.id), 'not deleted before confirming');
  const confirm = /<form method="post" action="[^"]+\/delete" class="confirm-delete">([\s\S]*?)<\/form>/.exec(asked.body)?.[1] ?? '';
  const confirmed = await submit('delete', Object.fromEntries([...confirm.matchAll(/name="([^"]+)" value="([^"]*)"/g)].map((m) => [m[1]!, m[2]!])));
  assert.equal(confirmed.statusCode, 303);
  assert.equal((await postJson(post.id))?.deleted, true);
});

test('a signed-in user who is not one of the stream\'s authors sees the reader\'s page: no composer, no actions', async () => {
  await publish('Anyone can read this');
  const reader = await loggedIn(t.app, 'reader', AUTHOR_PASSWORD);
  const page = (await reader.request('GET', `/s/${t.slug}`)).body;
  assert.match(page, /Signed in as <strong>reader<\/strong>/);
  for (const control of ['id="compose"', 'id="author-tools"', 'class="post-actions"', 'id="status-form"']) assert.ok(!page.includes(control), control);
  const author = (await (await loggedIn(t.app, 'reporter', AUTHOR_PASSWORD)).request('GET', `/s/${t.slug}`)).body;
  for (const control of ['id="compose"', 'id="author-tools"', 'class="post-actions"']) assert.ok(author.includes(control), control);
});

test('an admin sets a stream\'s order; readers override it with ?order=', async () => {
  const admin = await loggedIn(t.app, 'chief', AUTHOR_PASSWORD);
  const csrf = Browser.field((await admin.request('GET', '/admin')).body, '_csrf');
  const set = await admin.request('POST', `/admin/streams/${t.slug}/order`, { _csrf: csrf, order: 'oldest' });
  assert.equal(set.statusCode, 303);
  // A change in the log: another instance (or the export) loading the stream learns it too.
  const elsewhere = await loadStreamProjection(new MongoChangeStore(t.database), t.slug);
  assert.equal(elsewhere?.order, 'oldest');
  const page = (await t.app.inject(`/s/${t.slug}`)).body;
  assert.match(page, /data-order="oldest"/);
  assert.match(page, /<a href="\/s\/launch\?order=oldest" aria-current="true">Oldest first<\/a>/);
  assert.match((await t.app.inject(`/s/${t.slug}?order=newest`)).body, /data-order="newest"/);
  assert.equal((await t.app.inject(`/s/${t.slug}?order=sideways`)).statusCode, 400);
});
