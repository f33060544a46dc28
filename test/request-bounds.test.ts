import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { testApp, type TestApp } from './helpers.ts';
import { multipartBody } from './fixtures/photos.ts';
import { rawConnection } from './fixtures/raw-connection.ts';

// An attacker's bytes on the wire: who is asking is known before a body is read, bodies and
// headers cannot drip forever, uploads are bounded in number and size, and what Node itself refuses
// still gets our JSON error. Each test talks to a real listening server over raw connections.

let t: TestApp;
let port: number;
before(async () => {
  t = await testApp({
    LIVELOG_REQUEST_TIMEOUT_MS: '1500',
    LIVELOG_HEADERS_TIMEOUT_MS: '1000',
  });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  port = (t.app.server.address() as { port: number }).port;
});
after(() => t.close());

test('an upload with a bad token is refused before its body is read, and the connection is closed', async () => {
  const boundary = 'x'.repeat(20);
  const declared = 40 * 1024 * 1024;
  const head =
    `POST /api/streams/${t.slug}/posts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer livelog_not-a-real-token\r\n` +
    `Content-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${declared}\r\n\r\n`;
  const chunk = Buffer.alloc(64 * 1024, 0x41);

  // A client that pauses after its first megabyte has its answer, and the connection ends.
  const polite = await rawConnection(port);
  polite.socket.write(head);
  for (let i = 0; i < 16; i++) polite.socket.write(chunk);
  await polite.closed;
  assert.match(polite.received(), /^HTTP\/1\.1 401 /);
  assert.match(polite.received(), /LIVELOG_UNAUTHORIZED/);
  assert.match(polite.received(), /connection: close/i);

  // One that keeps pushing is cut off long before its 40 MB are in.
  const pushy = await rawConnection(port);
  pushy.socket.write(head);
  let sent = 0;
  while (!pushy.socket.destroyed && sent < declared) {
    if (!pushy.socket.write(chunk)) await new Promise((r) => pushy.socket.once('drain', r).once('close', r));
    sent += chunk.length;
  }
  await pushy.closed;
  assert.ok(sent < 8 * 1024 * 1024, `the server hung up after ${(sent / 1048576).toFixed(1)} MB`);
});

test('multipart bodies are refused unread on every route that takes no photos, before any check that would read them', async () => {
  const boundary = 'b'.repeat(16);
  for (const [method, url, auth] of [
    ['POST', '/login', ''],
    ['POST', '/admin/users', ''],
    ['PATCH', `/api/streams/${t.slug}/posts/${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}`, `Authorization: Bearer ${t.token}\r\n`],
    ['POST', `/s/${t.slug}/status`, ''],
  ] as const) {
    const client = await rawConnection(port);
    client.socket.write(`${method} ${url} HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${20 * 1024 * 1024}\r\n\r\n`);
    client.socket.write(Buffer.alloc(256 * 1024, 0x42));
    await client.closed;
    assert.match(client.received(), /^HTTP\/1\.1 415 /, `${method} ${url}`);
    assert.match(client.received(), /LIVELOG_PHOTOS_NOT_ACCEPTED/);
  }
});

test('requests Node itself refuses (headers too large, not HTTP) get the usual JSON error with a code', async () => {
  const tooLarge = await rawConnection(port);
  tooLarge.socket.write(`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(40_000)}\r\n\r\n`);
  await tooLarge.closed;
  assert.match(tooLarge.received(), /^HTTP\/1\.1 431 /);
  assert.equal(JSON.parse(tooLarge.received().split('\r\n\r\n')[1]!).code, 'LIVELOG_HEADERS_TOO_LARGE');
  const garbage = await rawConnection(port);
  garbage.socket.write('NOT HTTP AT ALL\r\n\r\n');
  await garbage.closed;
  assert.match(garbage.received(), /^HTTP\/1\.1 400 /);
  assert.equal(JSON.parse(garbage.received().split('\r\n\r\n')[1]!).code, 'LIVELOG_BAD_REQUEST');
});

test('a body that drips in a byte at a time is cut by the request timeout', async () => {
  const { socket, received, closed } = await rawConnection(port);
  socket.write(`POST /api/streams/${t.slug}/posts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${t.token}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"body":"`);
  const drip = setInterval(() => !socket.destroyed && socket.write('a'), 100);
  const lasted = await closed;
  clearInterval(drip);
  assert.ok(lasted < 4000, `cut after ${lasted} ms`);
  assert.match(received(), /^HTTP\/1\.1 408 |^$/, 'a 408, or just a closed connection');
});

test('headers that drip in are cut too', async () => {
  const { socket, closed } = await rawConnection(port);
  socket.write('GET / HTTP/1.1\r\nHost: x\r\n');
  const drip = setInterval(() => !socket.destroyed && socket.write('X-A: b\r\n'), 100);
  const lasted = await closed;
  clearInterval(drip);
  assert.ok(lasted < 4000, `cut after ${lasted} ms`);
});

test('photo uploads: a bounded number at once (503 with Retry-After past it) and a bounded total per request', async (context) => {
  // A server of its own with the usual request timeout: 27 MB must reach the size bound, not the
  // short timeout the drip tests use, however loaded the machine.
  const own = await testApp({ LIVELOG_MAX_UPLOADS: '1' });
  context.after(() => own.close());
  await own.app.listen({ port: 0, host: '127.0.0.1' });
  const ownPort = (own.app.server.address() as { port: number }).port;
  const base = `http://127.0.0.1:${ownPort}`;
  // One upload holds the only slot: its headers are in, its body is still coming.
  const { socket, closed } = await rawConnection(ownPort);
  const slow = multipartBody([{ name: 'photo', filename: 'a.jpg', bytes: Buffer.alloc(1000, 1) }]);
  socket.write(`POST /api/streams/${own.slug}/posts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${own.token}\r\nContent-Type: ${slow.contentType}\r\nContent-Length: ${slow.body.length}\r\n\r\n`);
  socket.write(slow.body.subarray(0, 100));
  await sleep(200);
  const form = multipartBody([{ name: 'body', bytes: 'second' }]);
  const busy = await fetch(`${base}/api/streams/${own.slug}/posts`, { method: 'POST', headers: { authorization: `Bearer ${own.token}`, 'content-type': form.contentType }, body: form.body });
  assert.equal(busy.status, 503);
  assert.equal((await busy.json()).code, 'LIVELOG_UPLOADS_BUSY');
  assert.ok(Number(busy.headers.get('retry-after')) > 0);
  socket.destroy();
  await closed;
  await sleep(100);
  // The slot is back once the first client is gone. Three 9 MB files pass each file's bound but
  // not the request's: refused with 413 before any of them is decoded.
  const big = multipartBody([0, 1, 2].map((i) => ({ name: 'photo', filename: `${i}.jpg`, bytes: Buffer.alloc(9 * 1024 * 1024, i) })));
  const tooMuch = await fetch(`${base}/api/streams/${own.slug}/posts`, { method: 'POST', headers: { authorization: `Bearer ${own.token}`, 'content-type': big.contentType }, body: big.body }).catch((error: Error) => error);
  if (tooMuch instanceof Error) assert.fail(`the request failed instead of a 413: ${tooMuch.message}`);
  assert.equal(tooMuch.status, 413);
  assert.equal((await tooMuch.json()).code, 'LIVELOG_UPLOAD_TOO_LARGE');
});

