import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../server/app.ts';
import { loadConfig } from '../server/config.ts';
import { roleChange, Users } from '../server/auth/users.ts';
import { Tokens } from '../server/auth/tokens.ts';
import type { UserRecord } from '../server/auth/types.ts';
import { MongoChangeStore } from '../server/log/mongo-store.ts';
import { loadStreamProjection } from '../server/log/projection.ts';
import { MAX_PENDING_PER_CONTRIBUTOR } from '../server/log/review-commands.ts';
import { exportFiles } from '../server/render/export-page.ts';
import { addAuthor, AUTHOR_PASSWORD, databaseUrl, testApp, type TestApp } from './helpers.ts';
import { loggedIn } from './browser.ts';
import { sseViewer, websocketViewer } from './viewer.ts';
import { reviewEvents } from './fixtures/review-events.ts';

// Contributors and approval against a real database, through two instances (LIVELOG_RELAY=mongo):
// a submission reaches no viewer, feed, replay, API or export until an editor approves it; an
// approval publishes once however many editors press it at once.

let t: TestApp;
let other: FastifyInstance;
const bases: string[] = [];
let contributor: UserRecord;
let contributorToken: string;
let outsiderToken: string;

before(async () => {
  const env = { LIVELOG_RELAY: 'mongo', LIVELOG_CATCHUP_MS: '100' };
  t = await testApp(env);
  const config = loadConfig({ MONGODB_URL: databaseUrl(), LIVELOG_DB: t.database.db.databaseName, LOG_LEVEL: 'silent', LIVELOG_CHANGES_PER_MINUTE: '100000', ...env });
  other = await buildApp({ config, database: t.database, logger: pino({ level: 'silent' }) });
  for (const app of [t.app, other]) {
    await app.listen({ port: 0, host: '127.0.0.1' });
    bases.push(`127.0.0.1:${(app.server.address() as { port: number }).port}`);
  }
  const users = new Users(t.database);
  contributor = await users.add('stringer', AUTHOR_PASSWORD);
  contributor = await users.change('stringer', roleChange('contributor'));
  const outsider = await users.add('freelancer', AUTHOR_PASSWORD);
  await users.change('freelancer', roleChange('contributor'));
  await addAuthor(t.app, t.slug, contributor);
  const tokens = new Tokens(t.database);
  contributorToken = await tokens.create(contributor, 'stringer phone');
  outsiderToken = await tokens.create(outsider, 'freelancer phone');
});
after(async () => {
  await other?.close();
  await t.close();
});

const api = (app: FastifyInstance, method: 'GET' | 'POST' | 'PATCH', url: string, token: string, payload?: object) =>
  app.inject({ method, url: `/api/streams/${t.slug}${url}`, headers: { authorization: `Bearer ${token}` }, payload });
const submit = (body: string, token = contributorToken) => api(t.app, 'POST', '/posts', token, { body });

test('a contributor\'s post is answered 202 pending and reaches no viewer, replay, API, feed, page or export', async () => {
  const viewer = await websocketViewer(bases[1]!, t.slug, '0');
  await viewer.waitFor((f) => f.some((x) => x.t === 'hello'));
  const secret = 'Embargoed: the striker signs a new contract';
  const response = await submit(secret);
  assert.equal(response.statusCode, 202);
  const { id, status } = response.json();
  assert.equal(status, 'pending');
  assert.match(id, /^[0-9a-f-]{36}$/);
  const head = (await t.app.livelog.projections.require(t.slug)).head;
  // Viewers get the seq (a `stream` frame, so they see no gap) and nothing of the text.
  await viewer.waitFor((f) => f.some((x) => x.seq === head));
  const sse = await sseViewer(bases[0]!, t.slug, { since: '0' });
  await sse.waitFor((f) => f.some((x) => x.seq === head));
  for (const frames of [viewer.frames, sse.frames]) {
    assert.doesNotMatch(JSON.stringify(frames), /striker/);
    assert.equal(frames.filter((f) => f.t === 'post').length, 0);
  }
  sse.close();
  viewer.close();
  for (const url of [`/api/streams/${t.slug}/posts?since=0`, `/s/${t.slug}`, `/s/${t.slug}/feed.xml`, `/s/${t.slug}/feed.json`, `/s/${t.slug}/embed`]) {
    const page = await t.app.inject({ method: 'GET', url });
    assert.equal(page.statusCode, 200, url);
    assert.doesNotMatch(page.body, /striker/, url);
  }
  assert.equal((await t.app.inject({ method: 'GET', url: `/s/${t.slug}/p/${id}` })).statusCode, 404);
  const exported = exportFiles((await loadStreamProjection(new MongoChangeStore(t.database), t.slug))!);
  assert.doesNotMatch(JSON.stringify(exported), /striker/);
});

test('an approval publishes exactly once when two editors press it at the same moment on two instances', async () => {
  const { id } = (await submit('Half-time: 1-0')).json();
  const viewer = await websocketViewer(bases[0]!, t.slug, '0');
  await viewer.waitFor((f) => f.some((x) => x.t === 'hello'));
  const [first, second] = await Promise.all([
    api(t.app, 'POST', `/posts/${id}/approve`, t.token),
    api(other, 'POST', `/posts/${id}/approve`, t.token),
  ]);
  assert.equal(first.statusCode, 200, first.body);
  assert.equal(second.statusCode, 200, second.body);
  assert.deepEqual(second.json(), first.json(), 'the second is answered with the first\'s result');
  assert.equal([first, second].filter((r) => r.headers['idempotent-replayed'] === 'true').length, 1);
  assert.equal(first.json().status, 'approved');
  assert.equal(await t.database.collection('changes').countDocuments({ stream: t.slug, type: 'approve', postId: id }), 1);
  await viewer.waitFor((f) => f.some((x) => x.t === 'post' && x.id === id));
  assert.equal(viewer.frames.filter((f) => f.t === 'post' && f.id === id).length, 1);
  viewer.close();
  const posts = (await t.app.inject({ method: 'GET', url: `/api/streams/${t.slug}/posts?since=0` })).json().posts;
  const published = posts.filter((p: { id: string }) => p.id === id);
  assert.equal(published.length, 1);
  assert.equal(published[0].author.name, 'stringer');
});

test('a rejection keeps the post out and its contributor sees the reason on the page and over the API', async () => {
  const { id } = (await submit('Rumour: the coach resigns')).json();
  const rejected = await api(other, 'POST', `/posts/${id}/reject`, t.token, { reason: 'Not confirmed by the club' });
  assert.equal(rejected.statusCode, 200, rejected.body);
  assert.equal((await api(t.app, 'POST', `/posts/${id}/approve`, t.token)).json().code, 'LIVELOG_ALREADY_REVIEWED');
  const mine = (await api(t.app, 'GET', '/submissions', contributorToken)).json().submissions;
  assert.deepEqual(
    mine.filter((s: { id: string }) => s.id === id).map((s: { status: string; reason: string }) => [s.status, s.reason]),
    [['rejected', 'Not confirmed by the club']],
  );
  const page = await (await loggedIn(t.app, 'stringer', AUTHOR_PASSWORD)).request('GET', `/s/${t.slug}`);
  assert.match(page.body, /Not published: <span class="submission-reason">Not confirmed by the club<\/span>/);
  assert.doesNotMatch((await t.app.inject({ method: 'GET', url: `/s/${t.slug}` })).body, /Not confirmed|coach resigns/);
});

test('a contributor cannot approve, edit others\' posts, or submit to a stream they do not belong to', async () => {
  const { id } = (await submit('Corner kick')).json();
  assert.equal((await api(t.app, 'POST', `/posts/${id}/approve`, contributorToken)).json().code, 'LIVELOG_NOT_AN_EDITOR');
  assert.equal((await api(t.app, 'POST', `/posts/${id}/reject`, contributorToken, { reason: 'mine' })).json().code, 'LIVELOG_NOT_AN_EDITOR');
  const authorPost = (await api(t.app, 'POST', '/posts', t.token, { body: 'By the reporter' })).json();
  const edit = await api(t.app, 'PATCH', `/posts/${authorPost.id}`, contributorToken, { body: 'By the stringer now' });
  assert.equal(edit.statusCode, 403);
  assert.equal(edit.json().code, 'LIVELOG_CONTRIBUTORS_SUBMIT');
  const outsider = await submit('Let me in', outsiderToken);
  assert.equal(outsider.statusCode, 403);
  assert.equal(outsider.json().code, 'LIVELOG_NOT_A_CONTRIBUTOR');
  assert.equal((await api(t.app, 'GET', '/submissions', outsiderToken)).statusCode, 403);
});

test('submissions are bounded: size, the change budget, and how many wait per contributor', async () => {
  const tooLong = await submit('x'.repeat(10_001));
  assert.equal(tooLong.statusCode, 400);
  // The change budget counts submissions like any change.
  const config = loadConfig({ MONGODB_URL: databaseUrl(), LIVELOG_DB: t.database.db.databaseName, LOG_LEVEL: 'silent', LIVELOG_CHANGES_PER_MINUTE: '2' });
  const strict = await buildApp({ config, database: t.database, logger: pino({ level: 'silent' }) });
  try {
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push((await api(strict, 'POST', '/posts', contributorToken, { body: `Budget ${i}` })).statusCode);
    assert.deepEqual(answers, [202, 202, 429]);
  } finally {
    await strict.close();
  }
  const waiting = async () =>
    (await api(t.app, 'GET', '/submissions', contributorToken)).json().submissions.filter((s: { status: string }) => s.status === 'pending') as { id: string }[];
  for (let i = (await waiting()).length; i < MAX_PENDING_PER_CONTRIBUTOR; i++) assert.equal((await submit(`Update ${i}`)).statusCode, 202);
  const full = await submit('One too many');
  assert.equal(full.statusCode, 429);
  assert.equal(full.json().code, 'LIVELOG_TOO_MANY_PENDING');
  // An editor clears the queue: there is room again.
  for (const { id } of await waiting()) assert.equal((await api(t.app, 'POST', `/posts/${id}/reject`, t.token, { reason: 'Too many at once' })).statusCode, 200);
  assert.equal((await submit('Room again')).statusCode, 202);
});

test('editors follow the queue live on their own channel; others are refused it', async () => {
  const editor = await loggedIn(t.app, 'reporter', AUTHOR_PASSWORD);
  const events = await reviewEvents(bases[0]!, t.slug, editor.cookieJar());
  assert.equal(events.status, 200);
  await events.waitFor((html) => html.includes('Waiting for review'));
  const fresh = (await submit('Second goal, from the stands')).json().id;
  await events.waitFor((html) => html.includes('Second goal, from the stands') && html.includes(`submission-${fresh}`));
  events.close();
  assert.equal((await reviewEvents(bases[0]!, t.slug, {})).status, 401);
  const stranger = await new Users(t.database).add('onlooker', AUTHOR_PASSWORD);
  assert.ok(stranger);
  const onlooker = await loggedIn(t.app, 'onlooker', AUTHOR_PASSWORD);
  assert.equal((await reviewEvents(bases[0]!, t.slug, onlooker.cookieJar())).status, 403);
});

test('an editor approves from the page without JavaScript, and the contributor\'s page says it is published', async () => {
  const { id } = (await submit('Team news: unchanged line-up')).json();
  const editor = await loggedIn(t.app, 'reporter', AUTHOR_PASSWORD);
  const page = await editor.request('GET', `/s/${t.slug}`);
  assert.match(page.body, new RegExp(`id="submission-${id}"`));
  assert.match(page.body, /Team news: unchanged line-up/);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
  const approved = await editor.request('POST', `/s/${t.slug}/posts/${id}/approve`, { _csrf: csrf });
  assert.equal(approved.statusCode, 303);
  assert.match(approved.headers.location as string, new RegExp(`^/s/${t.slug}\\?at=\\d+#review$`));
  const reader = await t.app.inject({ method: 'GET', url: `/s/${t.slug}` });
  assert.match(reader.body, /Team news: unchanged line-up/);
  assert.doesNotMatch(reader.body, /Waiting for review/);
  const mine = await (await loggedIn(t.app, 'stringer', AUTHOR_PASSWORD)).request('GET', `/s/${t.slug}`);
  assert.match(mine.body, new RegExp(`Published · <a href="/s/${t.slug}/p/${id}">see it</a>`));
  assert.match(mine.body, /Submit for review/);
  assert.doesNotMatch(mine.body, /End the stream|class="post-actions"/, 'a contributor gets no author tools');
});

test('the admin page says which members of a stream are contributors', async () => {
  await new Users(t.database).add('chief', AUTHOR_PASSWORD, true);
  const admin = await loggedIn(t.app, 'chief', AUTHOR_PASSWORD);
  const page = (await admin.request('GET', '/admin')).body;
  assert.match(page, /reporter, stringer \(contributor\)|stringer \(contributor\), reporter/);
  assert.match(page, /<td>contributor<\/td>/);
});

test('an editor whose account is disabled or demoted while the queue is open gets no more submissions on it', async () => {
  const users = new Users(t.database);
  await users.add('deskchief', AUTHOR_PASSWORD, true);
  await users.add('subeditor', AUTHOR_PASSWORD, true);
  await users.add('keyholder', AUTHOR_PASSWORD, true); // the site keeps an admin
  const chief = await reviewEvents(bases[0]!, t.slug, (await loggedIn(t.app, 'deskchief', AUTHOR_PASSWORD)).cookieJar());
  const sub = await reviewEvents(bases[0]!, t.slug, (await loggedIn(t.app, 'subeditor', AUTHOR_PASSWORD)).cookieJar());
  const witness = await reviewEvents(bases[0]!, t.slug, (await loggedIn(t.app, 'reporter', AUTHOR_PASSWORD)).cookieJar());
  for (const events of [chief, sub, witness]) await events.waitFor((html) => html.includes('Waiting for review'));
  await users.change('deskchief', { disabled: true });
  await users.change('subeditor', roleChange('author'));
  await submit('Embargoed line-up, not for the sacked');
  await witness.waitFor((html) => html.includes('Embargoed line-up'));
  assert.doesNotMatch(chief.latest(), /Embargoed/, 'a disabled account');
  assert.doesNotMatch(sub.latest(), /Embargoed/, 'an admin demoted to an author who is not the stream\'s');
  for (const events of [chief, sub, witness]) events.close();
});
