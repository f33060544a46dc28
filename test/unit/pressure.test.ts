import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import pino from 'pino';
import { pressureLimits, pressureWatch, registerPressure } from '../../server/http/plugins/pressure.ts';
import { loadConfig } from '../../server/config.ts';

const MB = 1024 * 1024;

test('past a limit new requests get 503 with Retry-After (/readyz too), /healthz answers, and an open stream keeps receiving', async () => {
  const app = Fastify();
  // The trigger is this process's own heap: a limit 150 MB above today's use, then 250 MB allocated.
  await registerPressure(app, { maxEventLoopDelay: 0, maxRssBytes: 0, maxHeapUsedBytes: process.memoryUsage().heapUsed + 150 * MB }, pino({ level: 'silent' }));
  let handled = 0;
  let push: ((text: string) => void) | undefined;
  app.get('/healthz', async () => ({ ok: true }));
  app.get('/readyz', async () => ({ ok: true }));
  app.post('/work', async () => ({ done: ++handled }));
  app.get('/stream', (_request, reply) => {
    reply.hijack();
    reply.raw.writeHead(200, { 'content-type': 'text/plain' });
    push = (text) => reply.raw.write(text);
    push('hello;');
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  try {
    let received = '';
    const streamed = new Promise<void>((resolve) => {
      http.get(`${base}/stream`, (response) =>
        response.on('data', (chunk: Buffer) => {
          received += chunk.toString();
          resolve();
        }),
      );
    });
    await streamed;
    assert.equal((await fetch(`${base}/work`, { method: 'POST' })).status, 200);

    const ballast = Array.from({ length: 250 }, () => new Array<number>(MB / 8).fill(0.5));
    while (!app.isUnderPressure()) await new Promise((resolve) => setTimeout(resolve, 50));

    const refused = await fetch(`${base}/work`, { method: 'POST' });
    assert.equal(refused.status, 503);
    assert.equal(refused.headers.get('retry-after'), '10');
    assert.deepEqual(await refused.json(), {
      statusCode: 503,
      code: 'LIVELOG_UNDER_PRESSURE',
      error: 'Service Unavailable',
      message: 'The server is overloaded just now; try again in a few seconds',
    });
    const page = await fetch(`${base}/work`, { method: 'POST', headers: { accept: 'text/html' } });
    assert.equal(page.status, 503);
    assert.match(await page.text(), /Livelog is busy just now/);
    assert.equal(handled, 1, 'the refused requests never reached their handler');
    assert.equal((await fetch(`${base}/healthz`)).status, 200, 'alive');
    assert.equal((await fetch(`${base}/readyz`)).status, 503, 'not ready for more');
    push?.('still here;');
    while (!received.includes('still here;')) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(received, 'hello;still here;');
    assert.ok(ballast.length);
  } finally {
    app.server.closeAllConnections();
    await app.close();
  }
});

test('the start and the end of pressure are logged once each', () => {
  const lines: string[] = [];
  let under = false;
  const watch = pressureWatch(() => under, () => ({}), { warn: (_o: object, m: string) => lines.push(m), info: (_o: object, m: string) => lines.push(m) } as never);
  watch();
  under = true;
  watch();
  watch();
  under = false;
  watch();
  watch();
  assert.deepEqual(lines, ['under pressure: new requests get 503 until the load falls', 'pressure over: serving new requests again']);
});

test("the heap limit defaults to 90% of Node's and 0 turns a check off", () => {
  const computed = pressureLimits(loadConfig({}));
  assert.ok(computed.maxHeapUsedBytes > 100 * MB);
  assert.equal(computed.maxRssBytes, 0);
  assert.deepEqual(pressureLimits(loadConfig({ LIVELOG_MAX_HEAP_MB: '0', LIVELOG_MAX_EVENT_LOOP_DELAY_MS: '0' })), {
    maxEventLoopDelay: 0,
    maxHeapUsedBytes: 0,
    maxRssBytes: 0,
  });
});
