import { test } from 'node:test';
import assert from 'node:assert/strict';
import { safeNext } from '../../server/auth/login-next.ts';

// Every answer must be usable as a Location header (Node refuses anything outside Latin-1 there,
// and we want plain ASCII) and must stay on this site.
function assertSafeLocation(location: string): void {
  assert.match(location, /^\/(?!\/)[\x21-\x7e]*$/, `not a safe same-site ASCII path: ${JSON.stringify(location)}`);
}

const cases: [string, string | undefined, string][] = [
  ['missing', undefined, '/'],
  ['empty', '', '/'],
  ['a stream page with query and anchor', '/s/launch?x=1#post-abc', '/s/launch?x=1#post-abc'],
  ['the admin page', '/admin', '/admin'],
  ['non-Latin-1 letters are percent-encoded', '/s/日本', '/s/%E6%97%A5%E6%9C%AC'],
  ['Latin-1 letters are percent-encoded too', '/s/é', '/s/%C3%A9'],
  ['already encoded stays as it is', '/s/%C3%A9?q=a%20b', '/s/%C3%A9?q=a%20b'],
  ['zero-width space', '/\u200bs', '/'],
  ['right-to-left override', '/s/\u202eabc', '/'],
  ['line separator U+2028', '/s/a\u2028b', '/'],
  ['paragraph separator U+2029', '/s/a\u2029b', '/'],
  ['tab', '/s/a\tb', '/'],
  ['tab before a second slash', '/\t/evil.com', '/'],
  ['raw CR LF', '/s/a\r\nSet-Cookie: x=1', '/'],
  ['percent-encoded CR LF', '/s/a%0d%0aSet-Cookie:%20x=1', '/'],
  ['percent-encoded NUL', '/s/a%00', '/'],
  ['percent-encoded zero-width space', '/%E2%80%8Bs', '/'],
  ['raw backslash', '/\\evil.com', '/'],
  ['percent-encoded backslash', '/%5cevil.com', '/'],
  ['percent-encoded backslash, upper case', '/%5Cevil.com', '/'],
  ['protocol-relative', '//evil.com', '/'],
  ['three slashes', '///evil.com', '/'],
  ['dot segment folding into two slashes', '/.//evil.com', '/'],
  ['parent segments folding into two slashes', '/a/../..//evil.com', '/'],
  ['absolute URL', 'https://evil.com', '/'],
  ['absolute URL to our own made-up origin', 'http://livelog.invalid/admin', '/'],
  ['javascript scheme', 'javascript:alert(1)', '/'],
  ['relative path', 's/launch', '/'],
  ['undecodable percent escape', '/s/100%', '/'],
  ['invalid UTF-8 escape', '/s/%ff', '/'],
  ['2,000 characters', `/${'a'.repeat(1999)}`, '/'],
];

for (const [name, next, expected] of cases) {
  test(`next: ${name}`, () => {
    const location = safeNext(next);
    assert.equal(location, expected);
    assertSafeLocation(location);
  });
}

test('next: dot segments are resolved, never left for the browser', () => {
  assert.equal(safeNext('/s/../admin'), '/admin');
});
