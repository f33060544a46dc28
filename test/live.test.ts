import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import WebSocket from 'ws';
import { websocketViewer } from './viewer.ts';
import { testApp, type TestApp } from './helpers.ts';

let t: TestApp;
let base: string;
before(async () => {
  t = await testApp();
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = t.app.server.address() as { port: number };
  base = `127.0.0.1:${port}`;
});
after(() => t.close());

const viewer = (since?: string, headers: Record<string, string> = {}) => websocketViewer(base, t.slug, since, headers);

const publish = (body: string) =>
  t.app.inject({
    method: 'POST',
    url: `/api/streams/${t.slug}/posts`,
    headers: { authorization: `Bearer ${t.token}` },
    payload: { body },
  });

test('a viewer gets hello, then every new post pushed as it is published', async () => {
  const v = await viewer('0');
  await v.waitFor((f) => f.length >= 1);
  const hello = v.frames[0]!;
  assert.equal(hello.t, 'hello');
  const started = Date.now();
  await publish('Doors open');
  await v.waitFor((f) => f.some((x) => x.t === 'post'));
  assert.ok(Date.now() - started < 1000, 'pushed within a second');
  const [post] = v.changes().filter((f) => f.t === 'post');
  assert.equal(post!.seq, hello.seq! + 1);
  assert.match(post!.html!, /Doors open/);
  assert.doesNotMatch(post!.html!, /_csrf|<form/, 'the pushed HTML is the public partial');
  v.close();
});

test('a late joiner gets everything already posted, then live ones, each once and in order', async () => {
  for (let i = 0; i < 5; i++) await publish(`update ${i}`);
  const late = await viewer('0');
  await publish('after joining');
  await late.waitFor((f) => f.filter((x) => x.t === 'post').length >= 7);
  await new Promise((r) => setTimeout(r, 100));
  // Seq 1 made the reporter an author (a stream frame), then seven posts.
  const seqs = late.changes().map((f) => f.seq);
  assert.deepEqual(seqs, [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.deepEqual(late.changes().map((f) => f.t), ['stream', ...Array(7).fill('post')]);
  late.close();
});

test('a viewer resuming from EPOCH.SEQ receives only what it missed', async () => {
  const first = await viewer('0');
  await first.waitFor((f) => f.some((x) => x.t === 'hello'));
  const { epoch, seq: head } = first.frames[0]!;
  first.close();
  await publish('missed one');
  await publish('missed two');
  const resumed = await viewer(`${epoch}.${head}`);
  await resumed.waitFor((f) => f.filter((x) => x.t === 'post').length >= 2);
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(resumed.changes().map((f) => f.seq), [head! + 1, head! + 2]);
  resumed.close();
});

test('a resume point from another epoch replays the whole stream', async () => {
  const v = await viewer('oldepoch.5');
  await v.waitFor((f) => f.filter((x) => x.t === 'post').length >= 8);
  assert.equal(v.changes()[0]!.seq, 1);
  v.close();
});

test('a socket opened from another site is refused', async () => {
  await assert.rejects(viewer('0', { origin: 'https://evil.example' }), /403/);
});

test('a socket for a missing stream or with a bad since is closed with a reason', async () => {
  const missing = new WebSocket(`ws://${base}/s/nope/live`);
  const code = await new Promise((resolve) => missing.on('close', resolve));
  assert.equal(code, 4404);
  const bad = new WebSocket(`ws://${base}/s/${t.slug}/live?since=x.y`);
  const badCode = await new Promise((resolve) => bad.on('close', resolve));
  assert.equal(badCode, 4400);
});

test('each post is serialised once for all viewers: every viewer receives the identical frame', async () => {
  const head = String((await t.app.inject(`/api/streams/${t.slug}/posts`)).json().seq);
  const viewers = await Promise.all([viewer(head), viewer(head), viewer(head)]);
  for (const v of viewers) await v.waitFor((f) => f.some((x) => x.t === 'hello'));
  await publish('to everyone');
  for (const v of viewers) await v.waitFor((f) => f.some((x) => x.t === 'post'));
  const frames = viewers.map((v) => JSON.stringify(v.changes()));
  assert.equal(new Set(frames).size, 1);
  assert.equal(viewers[0]!.changes().length, 1);
  for (const v of viewers) v.close();
});

test('viewers that leave while their stream is still loading are not counted, and do not keep it open', async () => {
  // A stream no one has opened yet: every request waits for the same load, and each client is gone
  // before it ends. Their close fired before any transport listened for it.
  const slug = 'cold-start';
  await t.app.livelog.streams.create(slug, 'Cold start', t.author._id);
  const [host, port] = base.split(':');
  const leaving = Array.from({ length: 100 }, (_, i) => {
    const path = i % 2 ? `/s/${slug}/events` : `/s/${slug}/live`;
    const upgrade = i % 2 ? '' : 'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n';
    return new Promise<void>((resolve) => {
      const socket = connect(Number(port), host, () => {
        socket.write(`GET ${path} HTTP/1.1\r\nHost: ${base}\r\n${upgrade}\r\n`);
        setTimeout(() => socket.destroy(), 2);
      });
      socket.on('close', () => resolve());
      socket.on('error', () => {});
    });
  });
  await Promise.all(leaving);
  const stays = await websocketViewer(base, slug, '0');
  await stays.waitFor((frames) => frames.length >= 1); // its hello
  await new Promise((r) => setTimeout(r, 300)); // any late detach has happened by now
  assert.equal(t.app.livelog.hub.viewerCount(slug), 1, 'only the viewer who stayed');
  stays.close();
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(t.app.livelog.hub.viewerCount(slug), 0);
  assert.equal(t.app.livelog.hub.isWatched(slug), false, 'an empty stream can be dropped from memory again');
});
