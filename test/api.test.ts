import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Tokens } from '../server/auth/tokens.ts';
import { testApp, type TestApp } from './helpers.ts';

let t: TestApp;
before(async () => (t = await testApp()));
after(() => t.close());

const publish = (body: unknown, headers: Record<string, string> = {}, slug = t.slug) =>
  t.app.inject({
    method: 'POST',
    url: `/api/streams/${slug}/posts`,
    headers: { authorization: `Bearer ${t.token}`, ...headers },
    payload: body as object,
  });

test('a device publishes with a bearer token and gets 201 with the post id and seq', async () => {
  const head = (await t.app.inject(`/api/streams/${t.slug}/posts`)).json().seq;
  const response = await publish({ body: 'Score: 1-0' });
  assert.equal(response.statusCode, 201);
  const json = response.json();
  assert.equal(typeof json.id, 'string');
  assert.equal(json.seq, head + 1);
  assert.equal(json.stream, t.slug);
});

test('a missing or wrong token gets 401 with a JSON message, and nothing is stored', async () => {
  const before = await t.database.collection('changes').countDocuments();
  for (const authorization of [undefined, 'Bearer livelog_wrong', 'Basic abc', `Bearer ${t.token}x`, t.token]) {
    const response = await t.app.inject({
      method: 'POST',
      url: `/api/streams/${t.slug}/posts`,
      headers: authorization ? { authorization } : {},
      payload: { body: 'sneaky' },
    });
    assert.equal(response.statusCode, 401, `authorization ${authorization}`);
    assert.match(response.json().message, /API token/);
    assert.equal(response.headers['www-authenticate'], 'Bearer');
  }
  assert.equal(await t.database.collection('changes').countDocuments(), before);
});

test('the API never accepts a session cookie in place of a token', async () => {
  const response = await t.app.inject({
    method: 'POST',
    url: `/api/streams/${t.slug}/posts`,
    cookies: { livelog_session: 'anything' },
    payload: { body: 'via cookie' },
  });
  assert.equal(response.statusCode, 401);
});

test('publishing to a stream that does not exist gets 404', async () => {
  const response = await publish({ body: 'hello' }, {}, 'no-such-stream');
  assert.equal(response.statusCode, 404);
  assert.match(response.json().message, /no-such-stream/);
});

test('an empty, blank, oversized or malformed body gets 400 naming the problem', async () => {
  const cases: [unknown, RegExp][] = [
    [{ body: '' }, /needs some text/],
    [{ body: '   ' }, /needs some text/],
    [{ body: 'x'.repeat(10_001) }, /body/],
    [{}, /needs some text/],
    [{ body: 42 }, /body/],
    [{ body: { $gt: '' } }, /body/],
    [{ body: 'ok', extra: true }, /additional/],
  ];
  for (const [payload, message] of cases) {
    const response = await publish(payload);
    assert.equal(response.statusCode, 400, JSON.stringify(payload).slice(0, 50));
    assert.match(response.json().message, message);
  }
  const broken = await t.app.inject({
    method: 'POST',
    url: `/api/streams/${t.slug}/posts`,
    headers: { authorization: `Bearer ${t.token}`, 'content-type': 'application/json' },
    payload: '{"body": "unterminated',
  });
  assert.equal(broken.statusCode, 400);
});

test('a bad slug in the URL gets 400, not a database query', async () => {
  const response = await publish({ body: 'x' }, {}, '..%2Fetc');
  assert.equal(response.statusCode, 400);
});

test('an Idempotency-Key makes a retried request publish once', async () => {
  const headers = { 'idempotency-key': 'sensor-42-reading-7' };
  const first = await publish({ body: 'Temperature 21.5 °C' }, headers);
  const retry = await publish({ body: 'Temperature 21.5 °C' }, headers);
  assert.equal(first.statusCode, 201);
  assert.equal(retry.statusCode, 201);
  assert.equal(retry.json().id, first.json().id);
  assert.equal(retry.headers['idempotent-replayed'], 'true');
  const conflict = await publish({ body: 'Temperature 99 °C' }, headers);
  assert.equal(conflict.statusCode, 409);
});

test('GET since=N returns what changed after N, in seq order, without duplicates', async () => {
  for (const body of ['one', 'two', 'three']) assert.equal((await publish({ body })).statusCode, 201);
  const all = (await t.app.inject(`/api/streams/${t.slug}/posts?since=0`)).json();
  const seqs = all.posts.map((p: { seq: number }) => p.seq);
  assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b));
  assert.equal(new Set(seqs).size, seqs.length);
  assert.equal(all.seq, seqs.at(-1));
  const since = all.seq - 2;
  const tail = (await t.app.inject(`/api/streams/${t.slug}/posts?since=${since}`)).json();
  assert.deepEqual(tail.posts.map((p: { body: string }) => p.body), ['two', 'three']);
  const withEpoch = (await t.app.inject(`/api/streams/${t.slug}/posts?since=${all.epoch}.${since}`)).json();
  assert.deepEqual(withEpoch.posts.map((p: { seq: number }) => p.seq), tail.posts.map((p: { seq: number }) => p.seq));
  const otherEpoch = (await t.app.inject(`/api/streams/${t.slug}/posts?since=oldepoch.${since}`)).json();
  assert.equal(otherEpoch.since, 0, 'a resume point from another epoch replays from the start');
  assert.equal(otherEpoch.posts.length, all.posts.length);
});

test('the API serves posts as escaped, sanitised HTML alongside the Markdown source', async () => {
  await publish({ body: '<script>alert(1)</script> [x](javascript:alert(1))' });
  const { posts } = (await t.app.inject(`/api/streams/${t.slug}/posts`)).json();
  const last = posts.at(-1);
  assert.equal(last.body, '<script>alert(1)</script> [x](javascript:alert(1))');
  assert.doesNotMatch(last.html, /<script|href="javascript/);
});

test('a malformed since gets 400', async () => {
  for (const since of ['-1', 'abc', '1.2.3', '99999999999999']) {
    const response = await t.app.inject(`/api/streams/${t.slug}/posts?since=${since}`);
    assert.equal(response.statusCode, 400, since);
  }
});

test('a token shows when it was last used', async () => {
  const listed = await new Tokens(t.database).list();
  const used = listed.find((token) => token.name === 'test')!;
  assert.ok(used.lastUsedAt && Date.now() - used.lastUsedAt.getTime() < 60_000);
});

test('health and readiness answer', async () => {
  assert.equal((await t.app.inject('/healthz')).statusCode, 200);
  assert.equal((await t.app.inject('/readyz')).statusCode, 200);
});
