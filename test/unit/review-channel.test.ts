import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { setAuthor } from '../../server/log/commands.ts';
import { ReviewChannels } from '../../server/live/review-channel.ts';
import { admin, streamWithAuthors } from '../fixtures/command-log.ts';

// The review channel: bounded per process and per user, a push only when what it shows changed,
// and closed when its user may no longer see it.

function response(): ServerResponse & { sent: string[] } {
  const res = new ServerResponse(new IncomingMessage(new Socket())) as ServerResponse & { sent: string[] };
  res.sent = [];
  res.write = ((chunk: string) => res.sent.push(String(chunk)) > 0) as typeof res.write;
  res.end = (() => {
    res.emit('close');
    return res;
  }) as typeof res.end;
  return res;
}

/** Lets the channel's look at the account answer. */
const settled = () => new Promise((resolve) => setImmediate(resolve));

const options = { maxOpen: 3, maxPerUser: 2, heartbeatMs: 60_000, maxBufferedBytes: 1024 * 1024 };

test('a user may hold only so many review channels, and a closed one frees its place', async () => {
  const log = await streamWithAuthors();
  const channels = new ReviewChannels(options);
  const view = { allowed: () => true, signedIn: async () => true, version: () => '1', render: () => ({ html: '<p>queue</p>', shown: true }) };
  const first = response();
  channels.attach(log.projection, first, 'bea', view);
  channels.attach(log.projection, response(), 'bea', view);
  assert.equal(channels.full('bea'), true);
  assert.equal(channels.full('cai'), false);
  first.end();
  assert.equal(channels.full('bea'), false);
  channels.attach(log.projection, response(), 'cai', view);
  channels.attach(log.projection, response(), 'dan', view);
  assert.equal(channels.full('eve'), true, 'the process bound');
  channels.closeAll();
  assert.equal(channels.size, 0);
});

test('a channel pushes when what it shows changed, and closes when its user lost their place', async () => {
  const log = await streamWithAuthors();
  const channels = new ReviewChannels(options);
  let version = 1;
  let allowed = true;
  const res = response();
  channels.attach(log.projection, res, 'bea', { allowed: () => allowed, signedIn: async () => true, version: () => String(version), render: () => ({ html: `v${version}`, shown: true }) });
  const pushes = () => res.sent.filter((s) => s.startsWith('event: queue')).length;
  await settled();
  assert.equal(pushes(), 1, 'the list as it stands, at once');
  await setAuthor(log.projection, { actor: admin, key: 'add-dan-key-1', member: { id: 'u4', name: 'Dan' }, active: true });
  assert.equal(pushes(), 1, 'a change that does not touch the list pushes nothing');
  version = 2;
  await setAuthor(log.projection, { actor: admin, key: 'add-eve-key-1', member: { id: 'u5', name: 'Eve' }, active: true });
  await settled();
  assert.equal(pushes(), 2);
  assert.match(res.sent.at(-1)!, /"html":"v2"/);
  allowed = false;
  await setAuthor(log.projection, { actor: admin, key: 'rm-eve-key-1', member: { id: 'u5', name: 'Eve' }, active: false });
  assert.equal(channels.size, 0, 'closed');
});

test('a channel whose account was disabled or changed closes before it sends a new list', async () => {
  const log = await streamWithAuthors();
  const channels = new ReviewChannels(options);
  let version = 1;
  let signedIn = true;
  const res = response();
  channels.attach(log.projection, res, 'bea', { allowed: () => true, signedIn: async () => signedIn, version: () => String(version), render: () => ({ html: `v${version}`, shown: true }) });
  await settled();
  signedIn = false;
  version = 2;
  await setAuthor(log.projection, { actor: admin, key: 'add-dan-key-2', member: { id: 'u4', name: 'Dan' }, active: true });
  await settled();
  assert.equal(channels.size, 0, 'closed');
  assert.doesNotMatch(res.sent.join(''), /v2/);
});
