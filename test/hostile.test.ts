import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Users } from '../server/auth/users.ts';
import { testApp, type TestApp } from './helpers.ts';
import { Browser, csrfFor } from './browser.ts';
import { HOSTILE_TEXTS } from './fixtures/hostile.ts';

// Hostile input against the live server: every answer is a 4xx or a success, never a 5xx, and
// whatever is stored comes back as harmless text.

let t: TestApp;
let port: number;
const statuses: { what: string; status: number }[] = [];
before(async () => {
  t = await testApp();
  await new Users(t.database).add('root', 'root password!', true);
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  port = (t.app.server.address() as { port: number }).port;
});
after(async () => {
  await t.close();
});

/** A raw HTTP request (bytes as given: invalid UTF-8, broken multipart…). */
function raw(method: string, path: string, headers: Record<string, string>, body?: Buffer | string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      let text = '';
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body: text }));
    });
    req.on('error', reject);
    if (body !== undefined) req.end(body);
    else req.end();
  });
}

function record(what: string, status: number): number {
  statuses.push({ what, status });
  assert.ok(status < 500, `${what} answered ${status}`);
  return status;
}

const api = (path: string, body: Buffer | string, headers: Record<string, string> = {}) =>
  raw('POST', `/api/streams/${t.slug}${path}`, { authorization: `Bearer ${t.token}`, 'content-type': 'application/json', ...headers }, body);

test('hostile post bodies are stored and served as text, never as markup', async () => {
  for (const text of HOSTILE_TEXTS) {
    const response = await api('/posts', JSON.stringify({ body: text }));
    assert.equal(record(`body ${text.slice(0, 30)}`, response.status), 201);
  }
  const page = await raw('GET', `/s/${t.slug}`, { accept: 'text/html' });
  const posts = page.body.slice(page.body.indexOf('<section id="posts"'));
  // As text the payloads are fine; as markup none may appear: no such tag, no event handler
  // attribute inside any tag, no script URL in any link.
  assert.doesNotMatch(posts, /<(script|img src=x|svg|iframe|style|math)\b/i);
  assert.doesNotMatch(posts, /<[^>]*\son\w+\s*=/i);
  assert.doesNotMatch(posts, /<a\s[^>]*href="\s*(javascript|data):/i);
  assert.match(posts, /&lt;script&gt;window.pwned = 1&lt;\/script&gt;/);
  assert.match(posts, /😀 emoji, ünïcödé and 中文 stay as they are/);
});

test('broken, oversized and wrongly typed requests get a clear 4xx', async () => {
  const cases: [string, () => Promise<{ status: number; body: string }>, number][] = [
    ['malformed JSON', () => api('/posts', '{"body": "unterminated'), 400],
    ['JSON that is not an object', () => api('/posts', '"just a string"'), 400],
    ['oversized JSON', () => api('/posts', JSON.stringify({ body: 'x'.repeat(300 * 1024) })), 413],
    ['a Mongo operator for the text', () => api('/posts', JSON.stringify({ body: { $gt: '' } })), 400],
    ['a Mongo operator key', () => api('/posts', JSON.stringify({ $where: 'sleep(1000)', body: 'x' })), 400],
    ['NUL in the text', () => api('/posts', JSON.stringify({ body: 'a\u0000b' })), 400],
    ['a number too large for a seq', () => raw('GET', `/api/streams/${t.slug}/posts?since=1e309`, {}), 400],
    ['plain text instead of JSON', () => api('/posts', 'body=x', { 'content-type': 'text/plain' }), 400],
    ['an unknown content type', () => api('/posts', 'body=x', { 'content-type': 'application/x-unknown' }), 415],
    ['a bad Idempotency-Key', () => api('/posts', JSON.stringify({ body: 'x' }), { 'idempotency-key': '<script>' }), 400],
    ['a slug with a path in it', () => raw('GET', '/s/..%2F..%2Fetc%2Fpasswd', { accept: 'text/html' }), 400],
    ['a slug with a NUL', () => raw('GET', '/api/streams/a%00b/posts', {}), 400],
    ['a media id with a path', () => raw('GET', `/s/${t.slug}/media/..%2F..%2Fpackage.json`, {}), 400],
    ['a post id that is not one', () => raw('PATCH', `/api/streams/${t.slug}/posts/$ne`, { authorization: `Bearer ${t.token}`, 'content-type': 'application/json' }, '{"body":"x"}'), 400],
    ['multipart without a boundary', () => api('/posts', 'whatever', { 'content-type': 'multipart/form-data' }), 400],
    [
      'truncated multipart',
      () => api('/posts', '--XYZ\r\nContent-Disposition: form-data; name="body"\r\n\r\nhello', { 'content-type': 'multipart/form-data; boundary=XYZ' }),
      400,
    ],
    [
      'a photo cut off before its closing boundary',
      () =>
        api('/posts', Buffer.concat([Buffer.from('--XYZ\r\nContent-Disposition: form-data; name="photo"; filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'), Buffer.alloc(4096, 0xff)]), {
          'content-type': 'multipart/form-data; boundary=XYZ',
        }),
      400,
    ],
    ['a huge bearer token', () => api('/posts', '{"body":"x"}', { authorization: `Bearer ${'a'.repeat(5000)}` }), 401],
  ];
  for (const [what, send, expected] of cases) {
    const response = await send();
    record(what, response.status);
    assert.equal(response.status, expected, `${what}: ${response.body.slice(0, 200)}`);
    assert.doesNotMatch(response.body, /at .*\.ts:\d+|node_modules|MongoServerError|stack/i, `${what} leaks internals`);
  }
});

test('an operator-shaped query parameter is just an unknown name: ignored, never applied', async () => {
  const response = await raw('GET', `/api/streams/${t.slug}/posts?since[$gt]=99&since[$ne]=1`, {});
  assert.equal(record('since[$gt]', response.status), 200);
  assert.equal(JSON.parse(response.body).since, 0);
});

test('invalid UTF-8 is stored as replacement characters or refused, never a 5xx', async () => {
  const bytes = Buffer.concat([Buffer.from('{"body":"bad '), Buffer.from([0xc3, 0x28, 0xff, 0xfe]), Buffer.from(' bytes"}')]);
  const response = await api('/posts', bytes);
  record('invalid UTF-8', response.status);
  assert.ok(response.status === 201 || response.status === 400);
});

test('hostile names, titles and alt texts in the admin forms are refused or escaped', async () => {
  const admin = new Browser(t.app);
  assert.equal((await admin.logIn('root', 'root password!')).statusCode, 303);
  const csrf = await csrfFor(admin, true);
  const badName = await admin.request('POST', '/admin/users', { _csrf: csrf, name: '<script>x</script>', password: 'long enough' });
  assert.equal(record('hostile user name', badName.statusCode), 400);
  const badSlug = await admin.request('POST', '/admin/streams', { _csrf: csrf, slug: '../etc', title: 'x' });
  assert.equal(record('path in a slug', badSlug.statusCode), 400);
  const title = '<img src=x onerror="window.pwned=20"> Final & "cup"';
  const created = await admin.request('POST', '/admin/streams', { _csrf: csrf, slug: 'hostile-title', title, description: '<script>window.pwned=21</script>' });
  assert.equal(record('hostile title', created.statusCode), 303);
  const page = await admin.request('GET', '/s/hostile-title');
  assert.match(page.body, /<h1>&lt;img src=x onerror=&quot;window.pwned=20&quot;&gt; Final &amp; &quot;cup&quot;<\/h1>/);
  assert.match(page.body, /<title>&lt;img/);
  assert.doesNotMatch(page.body, /<img src=x|<script>window/);
  const nul = await admin.request('POST', '/admin/streams', { _csrf: csrf, slug: 'nul-title', title: 'a\u0000b' });
  assert.equal(record('NUL in a title', nul.statusCode), 400);
});

test('login with operators or oversized fields is a 4xx, never a way in', async () => {
  const browser = new Browser(t.app);
  const csrf = await csrfFor(browser, false);
  for (const form of <Record<string, string>[]>[
    { 'name[$ne]': 'x', password: 'x' },
    { name: 'root', 'password[$ne]': 'x' },
    { name: 'x'.repeat(1000), password: 'x' },
    { name: 'root', password: 'p'.repeat(10_000) },
  ]) {
    const response = await browser.request('POST', '/login', { _csrf: csrf, ...form });
    record(`login ${Object.keys(form).join(',')}`, response.statusCode);
    assert.ok(response.statusCode >= 400 && response.statusCode < 500, String(response.statusCode));
  }
});

test('export refuses a slug that is a path', async () => {
  const result = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/export.ts', '../../etc', '--out', '/tmp/x'], {
    env: { ...process.env, LIVELOG_DB: t.database.db.databaseName },
  }).catch((e) => e);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /is not a stream slug/);
});

test('junk of every shape sent to every route that writes answers 4xx', async () => {
  const routes = [
    `/api/streams/${t.slug}/posts`,
    `/api/streams/${t.slug}/posts/00000000-0000-4000-8000-000000000000`,
    `/api/streams/${t.slug}/status`,
    `/s/${t.slug}/posts`,
    `/s/${t.slug}/status`,
    '/login',
    '/logout',
    '/admin/users',
  ];
  const junk: [string, Buffer | string][] = [
    ['application/json', '[]'],
    ['application/json', 'null'],
    ['application/json', '{"body": null, "photo": {"$gt": 1}}'],
    ['application/json', Buffer.from([0xff, 0xfe, 0x00, 0x7b])],
    ['application/x-www-form-urlencoded', 'body=%ZZ&key=%00%00&_csrf[]=1'],
    ['application/x-www-form-urlencoded', `a=${'b'.repeat(70 * 1024)}`],
    ['multipart/form-data; boundary=B', '--B\r\nContent-Disposition: form-data; name="photo"; filename="x.png"\r\n\r\nnot png\r\n--B--\r\n'],
    ['multipart/form-data; boundary=B', `--B\r\nContent-Disposition: form-data; name="body"\r\n\r\n${'x'.repeat(70 * 1024)}\r\n--B--\r\n`],
    ['multipart/form-data; boundary=B', '--B\r\nbroken header\r\n\r\nx\r\n--B--\r\n'],
  ];
  for (const route of routes) {
    for (const method of ['POST', 'PATCH', 'PUT']) {
      for (const [type, body] of junk) {
        const response = await raw(method, route, { authorization: `Bearer ${t.token}`, 'content-type': type }, body);
        record(`${method} ${route} ${type} ${String(body).slice(0, 20)}`, response.status);
      }
    }
  }
});

test('across the corpus: no 5xx at all', () => {
  assert.ok(statuses.length > 30);
  assert.deepEqual(statuses.filter((s) => s.status >= 500), []);
});
