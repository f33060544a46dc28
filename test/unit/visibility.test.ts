import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MemoryChangeStore } from '../../server/log/memory-store.ts';
import { StreamProjection } from '../../server/log/projection.ts';
import type { Visibility } from '../../server/log/records.ts';
import { addViewerLink, revokeViewerLinks, setVisibility } from '../../server/log/access-commands.ts';
import { setAuthor } from '../../server/log/commands.ts';
import { admits, newViewerKey, type StreamAccess, VIEWER_KEY_PATTERN, type Visitor, viewerKeyHash } from '../../server/log/visibility.ts';
import { withoutViewerKey, addressWithoutKey } from '../../server/http/plugins/stream-access.ts';

// The admission rule, and how a stream's log folds to who may watch it.

const access = (visibility: Visibility, members: string[] = ['m'], links: string[] = ['h']): StreamAccess => ({
  visibility,
  members: new Map(members.map((id) => [id, {}])),
  viewerLinks: new Map(links.map((hash) => [hash, new Date()])),
});

test('public and unlisted streams admit everyone; a private one admits admins, members and holders of a working link only', () => {
  const cases: [Visitor, boolean][] = [
    [{}, false],
    [{ user: { id: 'stranger', admin: false } }, false],
    [{ user: { id: 'm', admin: false } }, true],
    [{ user: { id: 'boss', admin: true } }, true],
    [{ link: 'h' }, true],
    [{ link: 'revoked' }, false],
    [{ user: { id: 'stranger', admin: false }, link: 'h' }, true],
  ];
  for (const [visitor, privateAnswer] of cases) {
    assert.equal(admits(access('public'), visitor), true);
    assert.equal(admits(access('unlisted'), visitor), true);
    assert.equal(admits(access('private'), visitor), privateAnswer, JSON.stringify(visitor));
  }
});

test('whoever a private stream admits, it admits for a reason: membership, admin, or a link it holds', () => {
  fc.assert(
    fc.property(
      fc.array(fc.string({ maxLength: 3 }), { maxLength: 4 }),
      fc.array(fc.string({ maxLength: 3 }), { maxLength: 4 }),
      fc.record({ user: fc.option(fc.record({ id: fc.string({ maxLength: 3 }), admin: fc.boolean() }), { nil: undefined }), link: fc.option(fc.string({ maxLength: 3 }), { nil: undefined }) }),
      (members, links, visitor) => {
        const reason = Boolean(visitor.user?.admin || (visitor.user && members.includes(visitor.user.id)) || (visitor.link !== undefined && links.includes(visitor.link)));
        assert.equal(admits(access('private', members, links), visitor), reason);
      },
    ),
  );
});

test('a viewer key has 256 random bits and is stored only as its hash', () => {
  const { key, hash } = newViewerKey();
  assert.match(key, VIEWER_KEY_PATTERN);
  assert.equal(Buffer.from(key, 'base64url').length, 32);
  assert.equal(hash, viewerKeyHash(key));
  assert.notEqual(hash, key);
  assert.notEqual(newViewerKey().key, key);
});

test('visibility and links fold from the log in order: a revoke ends every link made before it, not those after', async () => {
  const store = new MemoryChangeStore();
  const record = { _id: 'gala', title: 'Gala', description: '', epoch: 'e1', createdBy: 'u', createdAt: new Date(), visibility: 'unlisted' as const };
  await store.insertStream(record);
  const projection = new StreamProjection(record, store);
  const admin = { id: 'a', name: 'Admin', admin: true };
  assert.equal(projection.access.visibility, 'unlisted', 'the visibility it was made with');
  await setVisibility(projection, { actor: admin, key: 'v1', visibility: 'private' });
  const first = (await addViewerLink(projection, { actor: admin, key: 'l1' })).key!;
  await revokeViewerLinks(projection, { actor: admin, key: 'r1' });
  const second = (await addViewerLink(projection, { actor: admin, key: 'l2' })).key!;
  await setAuthor(projection, { actor: admin, key: 'm1', member: { id: 'ada', name: 'Ada' }, active: true });

  const reloaded = new StreamProjection(record, store);
  await reloaded.load();
  for (const state of [projection, reloaded]) {
    assert.equal(state.access.visibility, 'private');
    assert.equal(admits(state.access, { link: viewerKeyHash(first) }), false);
    assert.equal(admits(state.access, { link: viewerKeyHash(second) }), true);
    assert.equal(admits(state.access, { user: { id: 'ada', admin: false } }), true);
    assert.equal(state.updatedAt, undefined, 'who may watch is not news to readers');
  }
  // Each access change still has its seq on the wire, so viewers never see a gap.
  assert.deepEqual(projection.changesSince(0).map((s) => s.kind), ['status']);
  assert.equal(projection.status.seq, projection.head);
});

test('only admins change who may watch, and a change that changes nothing is refused', async () => {
  const store = new MemoryChangeStore();
  const record = { _id: 'gala', title: 'Gala', description: '', epoch: 'e1', createdBy: 'u', createdAt: new Date() };
  await store.insertStream(record);
  const projection = new StreamProjection(record, store);
  const author = { id: 'ada', name: 'Ada', admin: false };
  const admin = { id: 'a', name: 'Admin', admin: true };
  await assert.rejects(setVisibility(projection, { actor: author, key: 'v1', visibility: 'private' }), { code: 'LIVELOG_ADMIN_ONLY' });
  await assert.rejects(addViewerLink(projection, { actor: author, key: 'l1' }), { code: 'LIVELOG_ADMIN_ONLY' });
  await assert.rejects(setVisibility(projection, { actor: admin, key: 'v2', visibility: 'public' }), { code: 'LIVELOG_VISIBILITY_UNCHANGED' });
  await assert.rejects(revokeViewerLinks(projection, { actor: admin, key: 'r1' }), { code: 'LIVELOG_NO_VIEWER_LINKS' });
  const made = await addViewerLink(projection, { actor: admin, key: 'l3' });
  const retried = await addViewerLink(projection, { actor: admin, key: 'l3' });
  assert.equal(retried.replayed, true);
  assert.equal(retried.key, undefined, 'a retry makes no second link and cannot show the key again');
  assert.equal(projection.access.viewerLinks.size, 1);
  assert.ok(made.key);
});

test('viewer keys never reach a request log, and leave the address once used', () => {
  assert.equal(withoutViewerKey('/s/gala?key=abc&order=oldest'), '/s/gala?key=[redacted]&order=oldest');
  assert.equal(withoutViewerKey('/s/gala?order=oldest&KEY=abc'), '/s/gala?order=oldest&KEY=[redacted]');
  assert.equal(withoutViewerKey('/s/gala?monkey=1'), '/s/gala?monkey=1');
  assert.equal(addressWithoutKey('/s/gala?key=abc'), '/s/gala');
  assert.equal(addressWithoutKey('/s/gala?post=p1&key=abc&order=oldest'), '/s/gala?post=p1&order=oldest');
});
