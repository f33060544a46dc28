import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { testApp, type TestApp } from './helpers.ts';

// Dead and slow viewers are cut off, so they cannot hold server memory; they resume by seq.

let t: TestApp;
let base: string;
before(async () => {
  t = await testApp({ LIVELOG_HEARTBEAT_MS: '200', LIVELOG_MAX_BUFFERED_BYTES: '65536' });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  base = `127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
});
after(() => t.close());

const publish = (body: string) =>
  t.app.inject({ method: 'POST', url: `/api/streams/${t.slug}/posts`, headers: { authorization: `Bearer ${t.token}` }, payload: { body } });

function open(options: WebSocket.ClientOptions = {}): Promise<WebSocket> {
  const socket = new WebSocket(`ws://${base}/s/${t.slug}/live`, options);
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
  });
}

const closed = (socket: WebSocket) => new Promise<void>((resolve) => socket.once('close', () => resolve()));

test('viewers get an application ping frame on every heartbeat', async () => {
  const socket = await open();
  const pings: unknown[] = [];
  socket.on('message', (data) => JSON.parse(String(data)).t === 'ping' && pings.push(data));
  await new Promise((r) => setTimeout(r, 700));
  assert.ok(pings.length >= 2, `${pings.length} pings`);
  socket.close();
});

test('a viewer that stops answering pings is terminated', async () => {
  const dead = await open({ autoPong: false });
  const alive = await open();
  const started = Date.now();
  await closed(dead);
  assert.ok(Date.now() - started < 2000);
  assert.equal(alive.readyState, WebSocket.OPEN, 'a viewer that answers stays');
  alive.close();
});

test('a viewer that stops reading is cut off once its unsent buffer passes the bound', async () => {
  const slow = await open();
  // Stop reading: the kernel buffers fill, then the server's own buffer grows.
  (slow as unknown as { _socket: { pause(): void } })._socket.pause();
  const gone = closed(slow);
  const body = 'x'.repeat(9000);
  let cut = false;
  void gone.then(() => (cut = true));
  for (let i = 0; i < 2000 && !cut; i++) {
    await publish(`${i} ${body}`);
    if (i % 50 === 0) await new Promise((r) => setImmediate(r));
  }
  (slow as unknown as { _socket: { resume(): void } })._socket.resume();
  await gone;
  assert.ok(cut);
  assert.equal(t.app.livelog.hub.viewerCount(t.slug), 0);
});
