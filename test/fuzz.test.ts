import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { AUTHOR_PASSWORD, testApp, type TestApp } from './helpers.ts';
import { Browser, csrfFor } from './browser.ts';

// Property: whatever arrives at any route (any path parameters, query, headers, body, with or
// without a token or a session), the answer is never a 5xx and the process keeps serving. The
// generated inputs mix valid values (so requests get past validation into the handlers) with
// hostile ones (control and invisible characters, huge numbers, operator-shaped keys, wrong types).

let t: TestApp;
let base: string;
let postId: string;
let sessionCookies: Record<string, string>;
let csrf: string;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

const ROUTES: [InjectOptions['method'], string][] = [
  ['GET', '/'],
  ['GET', '/login'],
  ['POST', '/login'],
  ['POST', '/logout'],
  ['GET', '/admin'],
  ['POST', '/admin/users'],
  ['POST', '/admin/streams'],
  ['POST', '/admin/streams/:slug/authors'],
  ['POST', '/admin/tokens'],
  ['POST', '/admin/tokens/:token/revoke'],
  ['GET', '/api/streams/:slug/posts'],
  ['POST', '/api/streams/:slug/posts'],
  ['PATCH', '/api/streams/:slug/posts/:id'],
  ['DELETE', '/api/streams/:slug/posts/:id'],
  ['POST', '/api/streams/:slug/posts/:id/purge'],
  ['PUT', '/api/streams/:slug/status'],
  ['GET', '/healthz'],
  ['GET', '/readyz'],
  ['GET', '/s/:slug'],
  ['GET', '/s/:slug/media/:file'],
  ['GET', '/s/:slug/feed.xml'],
  ['GET', '/s/:slug/feed.json'],
  ['POST', '/s/:slug/posts'],
  ['GET', '/s/:slug/posts/:id'],
  ['POST', '/s/:slug/posts/:id/edit'],
  ['POST', '/s/:slug/posts/:id/pin'],
  ['POST', '/s/:slug/posts/:id/delete'],
  ['POST', '/s/:slug/status'],
  ['GET', '/assets/:file'],
  ['GET', '/:anything'],
];

const nasty = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('', '\u0000', '\u200b', '\u2028', '\t', '\r\n', '\\', '%00', '%0d%0a', '../..', '$ne', '{"$gt":""}', '-1', '1e309', 'NaN', '9'.repeat(30), 'x'.repeat(3000), 'é', '日本', '<script>'),
);
const slug = () => fc.oneof(fc.constant('launch'), fc.constant('no-such-stream'), nasty);
const segments: Record<string, () => fc.Arbitrary<string>> = {
  slug,
  id: () => fc.oneof(fc.constant('POST_ID'), fc.uuid(), nasty),
  file: () => fc.oneof(fc.constant(`${'a'.repeat(64)}.webp`), fc.constant('live.js'), fc.constant('live.js.map'), nasty),
  token: () => fc.oneof(fc.stringMatching(/^[0-9a-f]{8,64}$/), nasty),
  anything: () => nasty,
};
const knownFields = ['body', 'key', 'baseSeq', 'pinned', 'status', 'name', 'password', 'next', 'slug', 'title', 'label', 'stream', 'action', 'alt', 'admin', 'since', 'limit', 'before', 'at'];
const value = fc.oneof(nasty, fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(nasty, { maxLength: 3 }), fc.dictionary(nasty, nasty, { maxKeys: 2 }));
/** Form and multipart fields are text: objects become JSON (generated ones may lack a prototype). */
const text = (v: unknown) => (typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v));
const fields = fc.dictionary(fc.oneof(fc.constantFrom(...knownFields), nasty), value, { maxKeys: 6 });

const body = fc.oneof(
  fc.constant(undefined),
  fields.map((f) => ({ type: 'application/json', payload: JSON.stringify(f) })),
  fields.map((f) => ({ type: 'application/x-www-form-urlencoded', payload: new URLSearchParams(Object.entries(f).map(([k, v]) => [k, text(v)])).toString() })),
  fc.tuple(fields, fc.uint8Array({ maxLength: 2000 })).map(([f, bytes]) => {
    const boundary = 'fuzzboundary';
    const parts = Object.entries(f).map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${text(v)}\r\n`);
    const file = Buffer.concat([Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="photo"; filename="x.jpg"\r\n\r\n`), Buffer.from(bytes), Buffer.from('\r\n')]);
    return { type: `multipart/form-data; boundary=${boundary}`, payload: Buffer.concat([Buffer.from(parts.join('')), file, Buffer.from(`--${boundary}--\r\n`)]) };
  }),
  fc.tuple(fc.constantFrom('text/plain', 'application/json', 'multipart/form-data', 'application/x-unknown', 'x'), fc.uint8Array({ maxLength: 500 })).map(([type, bytes]) => ({ type, payload: Buffer.from(bytes) })),
);

const request = fc.record({
  route: fc.constantFrom(...ROUTES),
  params: fc.record(Object.fromEntries(Object.entries(segments).map(([k, make]) => [k, make()]))),
  query: fc.dictionary(fc.oneof(fc.constantFrom('since', 'limit', 'before', 'at', 'next', 'done'), nasty), nasty, { maxKeys: 3 }),
  body,
  authorization: fc.oneof(fc.constant(undefined), fc.constant('TOKEN'), fc.constant('Bearer livelog_wrong'), nasty),
  session: fc.boolean(),
  withCsrf: fc.boolean(),
  accept: fc.constantFrom(undefined, 'text/html', 'application/json', '*/*'),
  idempotencyKey: fc.option(fc.oneof(fc.constant('fuzz-key-0001'), nasty), { nil: undefined }),
});

// The hooks come after the arbitraries: a top-level before() starts at once (node 20), and building
// the binary string arbitrary holds the event loop for seconds, long enough to time out the
// database connection the hook is opening.
before(async () => {
  process.on('unhandledRejection', onUnhandled);
  t = await testApp();
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
  const published = await t.app.inject({ method: 'POST', url: `/api/streams/${t.slug}/posts`, headers: { authorization: `Bearer ${t.token}` }, payload: { body: 'a post to poke at' } });
  postId = published.json().id;
  const browser = new Browser(t.app);
  assert.equal((await browser.logIn('reporter', AUTHOR_PASSWORD)).statusCode, 303);
  csrf = await csrfFor(browser, true);
  sessionCookies = browser.cookieJar();
});
after(async () => {
  process.off('unhandledRejection', onUnhandled);
  await t.close();
});

test('no input to any route gets a 5xx or takes the server down', { timeout: 240_000 }, async () => {
  const seen = new Set<number>();
  await fc.assert(
    fc.asyncProperty(request, async (r) => {
      const [method, template] = r.route;
      const url =
        template.replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(String(r.params[name]).replace('POST_ID', postId))) +
        (Object.keys(r.query).length ? `?${new URLSearchParams(r.query).toString()}` : '');
      const headers: Record<string, string> = {};
      if (r.accept) headers.accept = r.accept;
      if (r.authorization) headers.authorization = r.authorization === 'TOKEN' ? `Bearer ${t.token}` : r.authorization;
      if (r.idempotencyKey !== undefined) headers['idempotency-key'] = r.idempotencyKey;
      let payload: string | Buffer | undefined;
      if (r.body) {
        headers['content-type'] = r.body.type;
        payload = r.body.payload;
        if (r.withCsrf && typeof payload === 'string' && r.body.type.includes('urlencoded')) payload += `&_csrf=${encodeURIComponent(csrf)}`;
      }
      let response: LightMyRequestResponse;
      try {
        response = await t.app.inject({ method, url, headers, payload, cookies: r.session ? sessionCookies : {} });
      } catch (error) {
        // inject itself refuses some header values (as Node's HTTP client would): not the server's doing.
        if (error instanceof TypeError && /header/i.test(error.message)) return;
        throw error;
      }
      seen.add(response.statusCode);
      assert.ok(response.statusCode < 500, `${method} ${url} -> ${response.statusCode}: ${response.body.slice(0, 300)}`);
    }),
    { numRuns: Number(process.env.FUZZ_RUNS ?? 400), verbose: 1 },
  );
  // The inputs reached the handlers, not only the validators: some were served, some refused.
  for (const status of [200, 400, 401, 403, 404]) assert.ok(seen.has(status), `no ${status} among ${[...seen].sort()}`);
  assert.deepEqual(unhandled, [], 'no unhandled promise rejections');
  assert.equal((await fetch(`${base}/healthz`)).status, 200);
});

test('the live endpoints: any resume point or Last-Event-ID gets an answer below 500', { timeout: 60_000 }, async () => {
  await fc.assert(
    fc.asyncProperty(fc.constantFrom('live', 'events'), slug(), fc.option(nasty, { nil: undefined }), fc.option(fc.oneof(nasty, fc.constant('abc.3')), { nil: undefined }), async (kind, s, since, lastEventId) => {
      const url = `${base}/s/${encodeURIComponent(s)}/${kind}${since === undefined ? '' : `?since=${encodeURIComponent(since)}`}`;
      const controller = new AbortController();
      const headers: Record<string, string> = {};
      // fetch refuses header values Node cannot send; those never reach a server anyway.
      if (lastEventId !== undefined && /^[\x20-\x7e]*$/.test(lastEventId)) headers['last-event-id'] = lastEventId;
      const response = await fetch(url, { headers, signal: controller.signal });
      controller.abort(); // an event stream never ends by itself: the status is what we came for
      assert.ok(response.status < 500, `${url} -> ${response.status}`);
    }),
    { numRuns: 150 },
  );
  assert.deepEqual(unhandled, []);
  assert.equal((await fetch(`${base}/healthz`)).status, 200);
});
