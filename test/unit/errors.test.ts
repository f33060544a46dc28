import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DatabaseUnavailable, LivelogError, PostTooLong, StalePost, StreamNotFound } from '../../server/errors.ts';
import { livelogCode, statusOf } from '../../server/http/plugins/errors.ts';

test('a domain error carries its code and a message with its details, and keeps its cause for the logs', () => {
  const cause = new Error('connection reset');
  const error = new DatabaseUnavailable({ cause });
  assert.ok(error instanceof LivelogError);
  assert.equal(error.code, 'LIVELOG_DATABASE_UNAVAILABLE');
  assert.equal(error.cause, cause);
  assert.equal(new StalePost('7').message, 'This post was changed since you opened it (now at version 7); reload it and make your change again');
  assert.equal(new PostTooLong(10_000).message, 'A post is at most 10000 characters');
});

test('the HTTP edge answers each code with the status clients have always seen', () => {
  assert.equal(statusOf(new StreamNotFound('x')), 404);
  assert.equal(statusOf(new StalePost('7')), 409);
  assert.equal(statusOf(new DatabaseUnavailable()), 503);
  // Fastify's own errors keep their status; anything without one is a 500.
  assert.equal(statusOf(Object.assign(new Error('too big'), { statusCode: 413 })), 413);
  assert.equal(statusOf(new Error('bug')), 500);
});

test("a database driver's error, whose code is a number, is a plain 500 and not mistaken for Livelog's own", () => {
  const driverError = Object.assign(new Error('sqlite: interrupted (9)'), { code: 1 });
  assert.equal(livelogCode(driverError), undefined);
  assert.equal(statusOf(driverError), 500);
  assert.equal(livelogCode(new StalePost('7')), 'LIVELOG_STALE_POST');
});
