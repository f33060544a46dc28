import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket, { WebSocketServer } from 'ws';
import { websocketTransport } from '../server/live/websocket.ts';
import type { ViewerTransport } from '../server/live/transport.ts';
import { OutboundFrame } from '../server/live/outbound.ts';
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

// The hub's cutting rules are unit tests (test/unit/hub.test.ts) on a fake transport; these check
// that the websocket transport tells the hub the truth about a real socket whose peer stops reading.

/** Stops (or restarts) reading a client socket: the kernel buffers fill, then the server's own. */
const reading = (socket: WebSocket, on: boolean) => {
  const tcp = (socket as unknown as { _socket: { pause(): void; resume(): void } })._socket;
  if (on) tcp.resume();
  else tcp.pause();
};

test('a viewer that stops reading is cut off once its unsent buffer passes the bound', async () => {
  const slow = await open();
  await until(() => t.app.livelog.hub.viewerCount(t.slug) === 1);
  reading(slow, false);
  const gone = closed(slow);
  let cut = false;
  void gone.then(() => (cut = true));
  const frame = JSON.stringify({ t: 'viewers', pad: 'x'.repeat(1024 * 1024) });
  // Straight through the hub, as a change's frame would go: megabytes until the kernel is full.
  for (let i = 0; i < 256 && t.app.livelog.hub.viewerCount(t.slug) > 0; i++) {
    t.app.livelog.hub.broadcast(t.slug, frame);
    await new Promise((r) => setTimeout(r, 5));
  }
  reading(slow, true);
  await gone;
  assert.ok(cut);
  assert.equal(t.app.livelog.hub.viewerCount(t.slug), 0);
});

test('the websocket transport reports bytes waiting while the peer does not read, and their delivery once it does', async () => {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((resolve) => server.once('listening', resolve));
  const connected = new Promise<ViewerTransport>((resolve) =>
    server.once('connection', (socket, request) => resolve(websocketTransport(socket, request.socket))),
  );
  const client = new WebSocket(`ws://127.0.0.1:${(server.address() as { port: number }).port}`);
  try {
    let received = 0;
    client.on('message', (data: Buffer) => (received += data.length));
    await new Promise((resolve) => client.once('open', resolve));
    const transport = await connected;
    reading(client, false);
    const frame = 'x'.repeat(1024 * 1024);
    let sent = 0;
    while (transport.bufferedBytes() === 0 && sent < 256) {
      transport.send(new OutboundFrame(frame));
      sent++;
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.ok(transport.bufferedBytes() > 0, 'the kernel is full: bytes wait in the process');
    const stuckAt = transport.deliveredBytes();
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(transport.deliveredBytes(), stuckAt, 'nothing more is delivered while the peer does not read');
    assert.ok(stuckAt < sent * frame.length);
    reading(client, true);
    await until(() => received === sent * frame.length, 5000);
    assert.equal(transport.bufferedBytes(), 0);
    assert.ok(transport.deliveredBytes() >= sent * frame.length, 'every frame (and its header) counted as delivered');
  } finally {
    client.terminate();
    server.close();
  }
});

async function until(predicate: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}
