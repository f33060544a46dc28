import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import WebSocket from 'ws';
import { testApp, type TestApp } from './helpers.ts';

// A viewer cannot hurt the others: connections are capped per address and in all, viewers may not
// talk, and one that stops reading is cut (it resumes by seq when it comes back).

let t: TestApp;
let base: string;
before(async () => {
  t = await testApp({
    LIVELOG_HEARTBEAT_MS: '200',
    LIVELOG_VIEWER_STALL_MS: '600',
    LIVELOG_MAX_BUFFERED_BYTES: String(1024 ** 3), // so only the stall rule can cut
    LIVELOG_MAX_VIEWERS_PER_ADDRESS: '3',
  });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  base = `127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
});
after(() => t.close());

const publish = (body: string) =>
  t.app.inject({ method: 'POST', url: `/api/streams/${t.slug}/posts`, headers: { authorization: `Bearer ${t.token}` }, payload: { body } });

const until = async (predicate: () => boolean, ms = 5000) => {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

function openSocket(options: WebSocket.ClientOptions = {}, where = base): Promise<WebSocket> {
  const socket = new WebSocket(`ws://${where}/s/${t.slug}/live`, options);
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** The refusal a websocket upgrade got: status and Retry-After. */
function refusal(where = base): Promise<{ status: number; retryAfter: string | undefined; body: string }> {
  const socket = new WebSocket(`ws://${where}/s/${t.slug}/live`);
  return new Promise((resolve, reject) => {
    socket.once('open', () => reject(new Error('the connection was admitted')));
    socket.once('unexpected-response', (_request, response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode!, retryAfter: response.headers['retry-after'], body }));
    });
  });
}

const closed = (socket: WebSocket) => new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));

test('one address gets at most its share of live connections, websocket and SSE together; a place frees when a viewer leaves', async () => {
  const sockets = [await openSocket(), await openSocket()];
  const sse = await fetch(`http://${base}/s/${t.slug}/events`);
  assert.equal(sse.status, 200);
  const refused = await refusal();
  assert.equal(refused.status, 429, 'refused before the upgrade');
  assert.ok(Number(refused.retryAfter) > 0);
  assert.equal(JSON.parse(refused.body).code, 'LIVELOG_TOO_MANY_VIEWERS_FROM_ADDRESS');
  const refusedSse = await fetch(`http://${base}/s/${t.slug}/events`);
  assert.equal(refusedSse.status, 429);
  assert.ok(Number(refusedSse.headers.get('retry-after')) > 0);

  await sse.body!.cancel();
  await until(() => t.app.livelog.admission.viewers === 2);
  const again = await openSocket();
  for (const socket of [...sockets, again]) socket.close();
  await until(() => t.app.livelog.admission.viewers === 0);
  assert.equal(t.app.livelog.hub.viewerCount(t.slug), 0);
});

test('connections refused before they open, or for a missing stream, give their place back', async () => {
  const missing = new WebSocket(`ws://${base}/s/no-such-stream/live`);
  assert.equal(await closed(missing), 4404);
  const missingSse = await fetch(`http://${base}/s/no-such-stream/events`);
  assert.equal(missingSse.status, 404);
  const crossSite = new WebSocket(`ws://${base}/s/${t.slug}/live`, { headers: { origin: 'https://evil.example' } });
  await new Promise((resolve) => crossSite.once('error', resolve));
  await until(() => t.app.livelog.admission.viewers === 0);
});

test('past the total for the process, a new viewer is refused with 503 and Retry-After', async () => {
  const small = await testApp({ LIVELOG_MAX_VIEWERS: '2' });
  try {
    await small.app.listen({ port: 0, host: '127.0.0.1' });
    const where = `127.0.0.1:${(small.app.server.address() as { port: number }).port}`;
    const open = [await openSocket({}, where), await openSocket({}, where)];
    const refused = await refusal(where);
    assert.equal(refused.status, 503);
    assert.ok(Number(refused.retryAfter) > 0);
    for (const socket of open) socket.close();
  } finally {
    await small.close();
  }
});

test('a viewer that sends more than a few messages is closed with 1008', async () => {
  const chatty = await openSocket();
  const code = closed(chatty);
  for (let i = 0; i < 6; i++) chatty.send(`hello ${i}`);
  assert.equal(await code, 1008);
});

test('a socket that sends pongs of its own but never reads is cut; one that answers the pings stays', async () => {
  const faker = await openSocket({ autoPong: false });
  const reader = await openSocket();
  (faker as unknown as { _socket: Socket })._socket.pause(); // never reads a byte again
  const pongs = setInterval(() => faker.pong(), 250); // within the message budget for a while
  const started = Date.now();
  await closed(faker);
  clearInterval(pongs);
  assert.ok(Date.now() - started < 2000, `cut after ${Date.now() - started} ms`);
  assert.equal(reader.readyState, WebSocket.OPEN);
  reader.close();
});

test('an SSE viewer that stops reading is cut once the kernel takes nothing for the stall time, long before the byte bound', async () => {
  const raw: Socket = connect({ host: '127.0.0.1', port: Number(base.split(':')[1]) });
  await new Promise((resolve) => raw.once('connect', resolve));
  raw.write(`GET /s/${t.slug}/events HTTP/1.1\r\nhost: ${base}\r\n\r\n`);
  await until(() => t.app.livelog.hub.viewerCount(t.slug) === 1);
  raw.pause(); // the kernel buffers fill, then the server's own
  const body = 'x'.repeat(9_990); // a post is up to 10,000 characters
  let published = 0;
  // As many large posts as this machine's socket buffers take before the server's buffer grows.
  while (t.app.livelog.hub.viewerCount(t.slug) > 0 && published < 3000) {
    for (let i = 0; i < 20; i++) assert.equal((await publish(`${String(published++).padStart(4)} ${body}`)).statusCode, 201);
    await new Promise((r) => setTimeout(r, 100));
  }
  await until(() => t.app.livelog.hub.viewerCount(t.slug) === 0, 3000);
  assert.ok(published * 10_000 < 1024 ** 3 / 10, `cut after ${published} posts, far below the byte bound`);
  raw.destroy();
  await until(() => t.app.livelog.admission.viewers === 0);
});
