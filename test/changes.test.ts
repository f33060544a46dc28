import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Users } from '../server/auth/users.ts';
import { Tokens } from '../server/auth/tokens.ts';
import { addAuthor, testApp, type TestApp } from './helpers.ts';

let t: TestApp;
let otherToken: string;
let adminToken: string;
before(async () => {
  t = await testApp();
  const users = new Users(t.database);
  const tokens = new Tokens(t.database);
  const other = await users.add('other-author', 'other password');
  await addAuthor(t.app, t.slug, other);
  otherToken = await tokens.create(other, 'test');
  adminToken = await tokens.create(await users.add('editor-in-chief', 'admin password', true), 'test');
});
after(() => t.close());

const api = (method: 'POST' | 'PATCH' | 'DELETE' | 'PUT', path: string, payload?: object, token = t.token) =>
  t.app.inject({ method, url: `/api/streams/${t.slug}${path}`, headers: { authorization: `Bearer ${token}` }, payload });
const publish = async (body: string) => (await api('POST', '/posts', { body })).json() as { id: string; seq: number };
const since = async (seq = 0) => (await t.app.inject(`/api/streams/${t.slug}/posts?since=${seq}`)).json();

test('an edit replaces the text everywhere: replay and the API never serve the old text again', async () => {
  const post = await publish('Score 1-0 (typo: Smtih scores)');
  const edit = await api('PATCH', `/posts/${post.id}`, { body: 'Score 1-0 (Smith scores)', baseSeq: post.seq });
  assert.equal(edit.statusCode, 200);
  assert.equal(edit.json().type, 'edit');
  const all = await since(0);
  const entry = all.posts.find((p: { id: string }) => p.id === post.id);
  assert.equal(entry.body, 'Score 1-0 (Smith scores)');
  assert.ok(entry.editedAt);
  assert.doesNotMatch(JSON.stringify(all), /Smtih/);
  const page = await t.app.inject({ url: `/s/${t.slug}`, headers: { accept: 'text/html' } });
  assert.doesNotMatch(page.body, /Smtih/);
  assert.match(page.body, /class="edited"/);
});

test('an edit made against an outdated version gets 409 with a clear message', async () => {
  const post = await publish('Half time');
  assert.equal((await api('PATCH', `/posts/${post.id}`, { body: 'Half time: 1-0', baseSeq: post.seq })).statusCode, 200);
  const stale = await api('PATCH', `/posts/${post.id}`, { body: 'Half time!', baseSeq: post.seq });
  assert.equal(stale.statusCode, 409);
  assert.match(stale.json().message, /changed since you opened it/);
  assert.equal((await since(0)).posts.find((p: { id: string }) => p.id === post.id).body, 'Half time: 1-0');
});

test('only the author or an admin may edit or delete a post; any author may pin', async () => {
  const post = await publish('Mine');
  assert.equal((await api('PATCH', `/posts/${post.id}`, { body: 'Hijacked' }, otherToken)).statusCode, 403);
  assert.equal((await api('DELETE', `/posts/${post.id}`, undefined, otherToken)).statusCode, 403);
  assert.equal((await api('PATCH', `/posts/${post.id}`, { pinned: true }, otherToken)).statusCode, 200);
  assert.equal((await api('PATCH', `/posts/${post.id}`, { body: 'Mine, tidied by an editor' }, adminToken)).statusCode, 200);
  assert.equal((await api('PATCH', `/posts/${post.id}`, { pinned: false }, adminToken)).statusCode, 200);
});

test('pinned posts are shown above the rest, newest first below them', async () => {
  const old = await publish('Important: gates close at 9');
  await publish('Newer chatter');
  assert.equal((await api('PATCH', `/posts/${old.id}`, { pinned: true })).statusCode, 200);
  const page = await t.app.inject({ url: `/s/${t.slug}`, headers: { accept: 'text/html' } });
  const order = [...page.body.matchAll(/<article class="post( pinned)?"/g)].map((m) => Boolean(m[1]));
  assert.equal(order[0], true);
  assert.ok(page.body.indexOf('gates close at 9') < page.body.indexOf('Newer chatter'));
});

test('a deleted post disappears from the page, the API and replay; replay says it was deleted', async () => {
  const post = await publish('Wrong score posted by mistake');
  const before = (await since(0)).seq;
  const deleted = await api('DELETE', `/posts/${post.id}?baseSeq=${post.seq}`);
  assert.equal(deleted.statusCode, 200);
  const all = await since(0);
  assert.doesNotMatch(JSON.stringify(all), /Wrong score/);
  assert.deepEqual(all.posts.find((p: { id: string }) => p.id === post.id), { id: post.id, seq: before + 1, deleted: true });
  const page = await t.app.inject({ url: `/s/${t.slug}`, headers: { accept: 'text/html' } });
  assert.doesNotMatch(page.body, /Wrong score/);
  assert.equal((await api('PATCH', `/posts/${post.id}`, { body: 'back?' })).statusCode, 404);
  assert.equal((await t.app.inject(`/s/${t.slug}/posts/${post.id}`)).statusCode, 404);
});

test('replay after N missed changes returns each touched post once, in order of its latest change', async () => {
  const from = (await since(0)).seq;
  const a = await publish('a');
  const b = await publish('b');
  const c = await publish('c');
  await api('PATCH', `/posts/${a.id}`, { body: 'a, edited' });
  await api('DELETE', `/posts/${b.id}`);
  const d = await publish('d');
  const replay = (await since(from)).posts;
  assert.deepEqual(
    replay.map((p: { id: string; body?: string; deleted?: boolean }) => [p.id, p.body ?? 'deleted']),
    [[c.id, 'c'], [a.id, 'a, edited'], [b.id, 'deleted'], [d.id, 'd']],
  );
  const seqs = replay.map((p: { seq: number }) => p.seq);
  assert.deepEqual(seqs, [...seqs].sort((x, y) => x - y));
});

test('an ended stream refuses new posts with a clear message until it is reopened', async () => {
  assert.equal((await api('PUT', '/status', { status: 'ended' })).statusCode, 200);
  assert.equal((await since(0)).status, 'ended');
  const refused = await api('POST', '/posts', { body: 'too late' });
  assert.equal(refused.statusCode, 409);
  assert.match(refused.json().message, /has ended/);
  const page = await t.app.inject({ url: `/s/${t.slug}`, headers: { accept: 'text/html' } });
  assert.match(page.body, /This stream has ended/);
  assert.equal((await api('PUT', '/status', { status: 'ended' })).statusCode, 409, 'ending twice is refused');
  assert.equal((await api('PUT', '/status', { status: 'live' })).statusCode, 200);
  assert.equal((await api('POST', '/posts', { body: 'extra time!' })).statusCode, 201);
});

test('a PATCH with both or neither of text and pin, or a bad post id, is a 400', async () => {
  const post = await publish('x');
  assert.equal((await api('PATCH', `/posts/${post.id}`, { body: 'y', pinned: true })).statusCode, 400);
  assert.equal((await api('PATCH', `/posts/${post.id}`, {})).statusCode, 400);
  assert.equal((await api('PATCH', '/posts/not-a-uuid', { body: 'y' })).statusCode, 400);
  assert.equal((await api('PATCH', '/posts/00000000-0000-4000-8000-000000000000', { body: 'y' })).statusCode, 404);
});
