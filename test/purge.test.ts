import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { MongoChangeStore } from '../server/log/mongo-store.ts';
import { Users } from '../server/auth/users.ts';
import { Tokens } from '../server/auth/tokens.ts';
import { loadStreamProjection } from '../server/log/projection.ts';
import { testApp, type TestApp } from './helpers.ts';
import { photoWithLocation } from './fixtures/photos.ts';

let t: TestApp;
let adminToken: string;
let base: string;
before(async () => {
  t = await testApp();
  const admin = await new Users(t.database).add('legal', 'legal team password', true);
  adminToken = await new Tokens(t.database).create(admin, 'legal');
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
});
after(() => t.close());

const call = (method: string, path: string, token: string, body?: object) =>
  fetch(`${base}/api/streams/${t.slug}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });

async function postWithPhoto(body: string): Promise<{ id: string }> {
  const form = new FormData();
  form.append('body', body);
  form.append('photo', new Blob([new Uint8Array(await photoWithLocation(300, 200))], { type: 'image/jpeg' }), 'p.jpg');
  const response = await fetch(`${base}/api/streams/${t.slug}/posts`, { method: 'POST', headers: { authorization: `Bearer ${t.token}` }, body: form });
  return response.json();
}

test('purging a deleted post removes every version of its text and its photo from the database', async () => {
  const post = await postWithPhoto('Call me on +44 7700 900123');
  await call('PATCH', `/posts/${post.id}`, t.token, { body: 'Call me (number removed)' });
  await call('DELETE', `/posts/${post.id}`, t.token);
  assert.match(JSON.stringify(await t.database.collection('changes').find({}).toArray()), /7700 900123/, 'the log still holds it before the purge');
  assert.equal(await t.database.collection('media').countDocuments(), 1);

  assert.equal((await call('POST', `/posts/${post.id}/purge`, t.token)).status, 403, 'authors cannot purge');
  const purged = await call('POST', `/posts/${post.id}/purge`, adminToken);
  assert.equal(purged.status, 200);
  assert.deepEqual(await purged.json(), { purgedVersions: 2, deletedPhotos: 1 });
  assert.doesNotMatch(JSON.stringify(await t.database.collection('changes').find({}).toArray()), /7700 900123|number removed/);
  assert.equal(await t.database.collection('media').countDocuments(), 0);

  // The log still folds to the same state, from scratch, with contiguous seqs.
  const fresh = (await loadStreamProjection(new MongoChangeStore(t.database), t.slug))!;
  assert.equal(fresh.head, (await (await fetch(`${base}/api/streams/${t.slug}/posts`)).json()).seq);
  assert.equal(fresh.post(post.id), undefined);
});

test('purging a live post keeps its current version and removes the older ones', async () => {
  const post = await postWithPhoto('First draft with a typo and a private detail');
  await call('PATCH', `/posts/${post.id}`, t.token, { body: 'Final text' });
  const purged = await call('POST', `/posts/${post.id}/purge`, adminToken);
  assert.deepEqual(await purged.json(), { purgedVersions: 1, deletedPhotos: 0 }, 'the photo is still shown');
  assert.doesNotMatch(JSON.stringify(await t.database.collection('changes').find({}).toArray()), /private detail/);
  const fresh = (await loadStreamProjection(new MongoChangeStore(t.database), t.slug))!;
  assert.equal(fresh.post(post.id)!.post.body, 'Final text');
  assert.equal(fresh.post(post.id)!.post.media!.length, 1);
  assert.equal((await call('POST', '/posts/00000000-0000-4000-8000-000000000000/purge', adminToken)).status, 404);
});
