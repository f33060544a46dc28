import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../server/config.ts';

// Every setting is checked at start: a value that would fail later, or quietly mean something else,
// stops the start with a message naming it.

test('the defaults load', () => {
  const config = loadConfig({});
  assert.equal(config.PORT, 3000);
  assert.equal(config.HOST, '127.0.0.1');
  assert.equal(config.LIVELOG_METRICS_PORT, undefined);
});

test('numbers are plain digits: hex, exponents and signs are refused', () => {
  for (const value of ['0x10', '3e3', '-1', '1.5', ' 80']) {
    assert.throws(() => loadConfig({ PORT: value }), /PORT must be a whole number in digits/, value);
  }
  assert.equal(loadConfig({ PORT: '8080' }).PORT, 8080);
});

test('LIVELOG_PUBLIC_URL is an origin with an optional path, nothing else', () => {
  for (const value of ['http://[oops', 'https://live.example.org/?a=1', 'https://live.example.org/#x', 'https://user:pw@live.example.org', 'ftp://x']) {
    assert.throws(() => loadConfig({ LIVELOG_PUBLIC_URL: value }), /LIVELOG_PUBLIC_URL/, value);
  }
  assert.equal(loadConfig({ LIVELOG_PUBLIC_URL: 'https://live.example.org/blog' }).LIVELOG_PUBLIC_URL, 'https://live.example.org/blog');
});

test('hosts are names or addresses', () => {
  for (const value of ['not a host!', 'a/b', 'exa mple.org']) {
    assert.throws(() => loadConfig({ HOST: value }), /HOST/, value);
    assert.throws(() => loadConfig({ LIVELOG_METRICS_HOST: value }), /LIVELOG_METRICS_HOST/, value);
  }
  for (const value of ['0.0.0.0', '::', '::1', 'localhost', 'live.example.org']) assert.equal(loadConfig({ HOST: value }).HOST, value);
});

test('metrics are never on the public port', () => {
  assert.throws(() => loadConfig({ PORT: '3000', LIVELOG_METRICS_PORT: '3000' }), /LIVELOG_METRICS_PORT must differ from PORT/);
  assert.equal(loadConfig({ LIVELOG_METRICS_PORT: '9464' }).LIVELOG_METRICS_PORT, 9464);
});

test('pressure limits are off (0) or high enough not to refuse a healthy process', () => {
  assert.throws(() => loadConfig({ LIVELOG_MAX_EVENT_LOOP_DELAY_MS: '1' }), /LIVELOG_MAX_EVENT_LOOP_DELAY_MS must be 0 \(off\) or at least 50/);
  assert.throws(() => loadConfig({ LIVELOG_MAX_HEAP_MB: '1' }), /LIVELOG_MAX_HEAP_MB/);
  assert.throws(() => loadConfig({ LIVELOG_MAX_RSS_MB: '1' }), /LIVELOG_MAX_RSS_MB/);
  assert.equal(loadConfig({ LIVELOG_MAX_EVENT_LOOP_DELAY_MS: '0' }).LIVELOG_MAX_EVENT_LOOP_DELAY_MS, 0);
});

test('a refused value is named with what the setting takes, not as a schema path', () => {
  assert.throws(() => loadConfig({ LOG_LEVEL: 'verbose' }), { message: 'LOG_LEVEL="verbose" is not valid: one of fatal, error, warn, info, debug, trace, silent' });
  assert.throws(() => loadConfig({ LIVELOG_CHANGES_PER_MINUTE: '0' }), { message: 'LIVELOG_CHANGES_PER_MINUTE="0" is not valid: a whole number from 1 to 100000' });
  assert.throws(() => loadConfig({ LIVELOG_WORKERS: 'two' }), /^Error: LIVELOG_WORKERS="two" is not valid: processes serving the port together: a number, or `auto`/);
});
