import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyError } from 'fastify';
import { errorPage } from '../../server/http/plugins/error-pages.ts';

const get = (url: string) => ({ url, method: 'GET' });

function validationError(context: string, instancePath: string): FastifyError {
  return Object.assign(new Error('params/slug must match pattern "^[a-z0-9]"'), {
    code: 'FST_ERR_VALIDATION',
    validationContext: context,
    validation: [{ instancePath, keyword: 'pattern', schemaPath: '', params: {}, message: 'must match pattern' }],
  }) as unknown as FastifyError;
}

test('a schema failure reads as a sentence about the address or the form, never the validator text', () => {
  const slug = errorPage(400, 'LIVELOG_INVALID_REQUEST', 'params/slug must match pattern', get('/s/X!'), validationError('params', '/slug'));
  assert.match(slug.detail, /stream addresses use only lower-case letters/);
  const body = errorPage(400, 'LIVELOG_INVALID_REQUEST', 'body/title must NOT have more than 200 characters', get('/admin/streams'), validationError('body', '/title'));
  assert.match(body.detail, /The form field “title”/);
  for (const page of [slug, body]) assert.doesNotMatch(page.detail, /must|params\/|body\//);
});

test('Livelog’s own messages are shown as sentences; the ones that speak HTTP are not', () => {
  assert.equal(errorPage(403, 'LIVELOG_NOT_AN_AUTHOR', 'You are not an author of this stream; an admin can add you', get('/s/a/posts')).detail, 'You are not an author of this stream; an admin can add you.');
  assert.doesNotMatch(errorPage(400, 'LIVELOG_BROKEN_MULTIPART', 'The multipart/form-data body is malformed', get('/s/a/posts')).detail, /multipart/);
});

test('each page leads back: to its stream when there is one, to a retry only for a GET on this site', () => {
  const links = (page: ReturnType<typeof errorPage>) => page.links.map((l) => l.href);
  assert.deepEqual(links(errorPage(404, 'LIVELOG_POST_NOT_FOUND', '', get('/s/launch/p/abc'))), ['/s/launch', '/']);
  assert.deepEqual(links(errorPage(503, 'LIVELOG_DATABASE_UNAVAILABLE', '', get('/s/launch'))), ['/s/launch', '/']);
  assert.deepEqual(links(errorPage(503, 'LIVELOG_DATABASE_UNAVAILABLE', '', get('/admin'))), ['/admin', '/']);
  assert.deepEqual(links(errorPage(503, 'LIVELOG_DATABASE_UNAVAILABLE', '', get('//evil.example/x'))), ['/']);
  assert.deepEqual(links(errorPage(429, 'LIVELOG_RATE_LIMITED', '', { url: '/s/launch/posts', method: 'POST' })), ['/s/launch', '/']);
});
