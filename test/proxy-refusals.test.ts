import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { testApp, type TestApp } from './helpers.ts';
import { rawConnection } from './fixtures/raw-connection.ts';

// A body refused by its declared length (413) or type (415) closes the connection to a client, which
// would otherwise keep sending. A trusted reverse proxy is different: it has the body whole and
// writes it at once, and a connection closed under that write turns the refusal into its 502 (seen
// with nginx). From a trusted proxy the connection stays open, Node discards the body, and the
// next request on it is served.

let t: TestApp;
let port: number;
before(async () => {
  t = await testApp({ LIVELOG_TRUST_PROXY: 'loopback' });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  port = (t.app.server.address() as { port: number }).port;
});
after(() => t.close());

const refusals = [
  ['a form past its size', 'application/x-www-form-urlencoded', 413, `name=a&password=${'x'.repeat(200 * 1024)}`],
  ['a multipart body where no photos are taken', 'multipart/form-data; boundary=bbbbbbbb', 415, `--bbbbbbbb\r\n${'y'.repeat(200 * 1024)}`],
] as const;

for (const [what, type, status, body] of refusals) {
  test(`${what}, from a trusted proxy: ${status}, and the connection serves the next request`, async () => {
    const proxy = await rawConnection(port);
    proxy.socket.write(`POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: ${type}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    proxy.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    const deadline = Date.now() + 5000;
    while (!/HTTP\/1\.1 200/.test(proxy.received()) && !proxy.socket.destroyed && Date.now() < deadline) await sleep(10);
    const [first] = proxy.received().split('\r\n\r\n');
    assert.match(first!, new RegExp(`^HTTP/1\\.1 ${status} `));
    assert.doesNotMatch(first!, /connection: close/i);
    assert.match(proxy.received(), /HTTP\/1\.1 200 /, 'the next request on the same connection is answered');
    proxy.socket.destroy();
  });
}
