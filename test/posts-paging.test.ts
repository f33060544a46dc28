import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { deletePost, editPost, publishPost } from '../server/log/commands.ts';
import type { StreamProjection } from '../server/log/projection.ts';
import { testApp, type TestApp } from './helpers.ts';

// GET /api/streams/SLUG/posts pages: one answer never carries a whole stream's history, and a
// reader following `next` ends with exactly what one read would give, changes between pages included.

interface Entry {
  id: string;
  seq: number;
  body?: string;
  deleted?: true;
}
interface Page {
  seq: number;
  posts: Entry[];
  next: string | null;
}

let t: TestApp;
let projection: StreamProjection;
let actor: { id: string; name: string; admin: boolean };
const ids: string[] = [];
before(async () => {
  t = await testApp();
  projection = (await t.app.livelog.projections.get(t.slug))!;
  actor = { id: t.author._id, name: t.author.name, admin: false };
  for (let i = 0; i < 250; i++) ids.push((await publishPost(projection, { actor, body: `post ${i}`, key: `paging-${i}` })).record.postId!);
});
after(() => t.close());

const read = async (query: string): Promise<Page> => {
  const response = await t.app.inject(`/api/streams/${t.slug}/posts?${query}`);
  assert.equal(response.statusCode, 200, response.body);
  return response.json();
};

/** What a reader holds after applying entries in order: post id → its latest body. */
function fold(entries: Entry[], into = new Map<string, string>()): Map<string, string> {
  for (const entry of entries) {
    if (entry.deleted) into.delete(entry.id);
    else into.set(entry.id, entry.body!);
  }
  return into;
}

test('by default a page holds 100 entries in seq order and a cursor to the next', async () => {
  const page = await read('since=0');
  assert.equal(page.posts.length, 100);
  const seqs = page.posts.map((p) => p.seq);
  assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b));
  assert.match(page.next!, /^[A-Za-z0-9_-]+\.\d+$/);
  assert.equal(Number(page.next!.split('.')[1]), seqs.at(-1));
});

test('limit picks the page size, up to 1,000; a page that reaches the head has no next', async () => {
  assert.equal((await read('limit=7')).posts.length, 7);
  const all = await read('limit=1000');
  assert.equal(all.posts.length, 250);
  assert.equal(all.next, null);
});

test('a bad limit is a 400 with a clear message', async () => {
  for (const limit of ['0', '1001', 'abc', '-1', '1.5', '', '99999999999999']) {
    const response = await t.app.inject(`/api/streams/${t.slug}/posts?limit=${limit}`);
    assert.equal(response.statusCode, 400, limit);
    assert.match(response.json().message, /limit/);
  }
});

test('following next to the end gives what one read gives, with edits, deletes and posts between pages', async () => {
  const held = new Map<string, string>();
  let since = '0';
  let pages = 0;
  let edited = 0;
  for (;;) {
    const page = await read(`since=${since}&limit=30`);
    assert.ok(page.posts.length <= 30);
    fold(page.posts, held);
    pages++;
    // Between pages: change a post already read, one not read yet, delete one of each, add one.
    if (pages <= 4) {
      await editPost(projection, { actor, postId: ids[pages]!, body: `edited early ${pages}`, key: `edit-early-${pages}` });
      await editPost(projection, { actor, postId: ids[200 + pages]!, body: `edited late ${pages}`, key: `edit-late-${pages}` });
      await deletePost(projection, { actor, postId: ids[10 + pages]!, key: `delete-early-${pages}` });
      await deletePost(projection, { actor, postId: ids[150 + pages]!, key: `delete-late-${pages}` });
      await publishPost(projection, { actor, body: `new between pages ${pages}`, key: `new-${pages}` });
      edited++;
    }
    if (page.next === null) break;
    since = page.next;
  }
  assert.equal(edited, 4);
  const once = fold((await read('since=0&limit=1000')).posts);
  assert.deepEqual(held, once);
  assert.equal(held.get(ids[1]!), 'edited early 1');
  assert.equal(held.has(ids[11]!), false, 'deleted posts are gone');
  assert.equal(held.size, 250 - 8 + 4);
});

test('a page also stops at about a megabyte of JSON, so long posts come in more pages, and following next still gives them all', async () => {
  const head = projection.head;
  const long = 'a long post '.repeat(800); // about 9.6 KB, twice that with its HTML
  const added: string[] = [];
  for (let i = 0; i < 120; i++) added.push((await publishPost(projection, { actor, body: `${i} ${long}`, key: `long-${i}` })).record.postId!);
  const seen: string[] = [];
  let since = String(head);
  let pages = 0;
  for (;;) {
    const response = await t.app.inject(`/api/streams/${t.slug}/posts?since=${since}&limit=1000`);
    assert.ok(response.body.length < 1.1 * 1024 * 1024, `page ${pages}: ${response.body.length} bytes`);
    const page = response.json() as Page;
    seen.push(...page.posts.map((entry) => entry.id));
    pages++;
    if (page.next === null) break;
    since = page.next;
  }
  assert.ok(pages >= 2, `${pages} pages`);
  assert.deepEqual(seen, added);
});
