import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { passwordProblem } from '../../server/auth/password-rule.ts';

test('passwords under 10 characters are refused, saying so', () => {
  assert.match(passwordProblem('Xq7#pL2!') ?? '', /at least 10 characters/);
});

for (const weak of ['12345678', '1234567890', 'password123', 'qwertyuiop', 'aaaaaaaaaaaa', 'iloveyou2024']) {
  test(`a common or patterned password is refused: ${weak}`, () => {
    assert.match(passwordProblem(weak) ?? '', /too weak|at least 10/);
  });
}

test('a password built from the user name or the site name is refused', () => {
  assert.match(passwordProblem('reporter2026', ['reporter']) ?? '', /user name or the site name|too weak/);
  assert.match(passwordProblem('livelog2026!') ?? '', /too weak/);
});

for (const strong of ['correct horse battery', 'colleague password', 'e2e password 123', 'Tr0ub4dor&3x']) {
  test(`a few unrelated words or a random mix pass: ${strong}`, () => {
    assert.equal(passwordProblem(strong, ['reporter']), null);
  });
}

test('the first-run admin password (12 random base64url characters) always passes', () => {
  for (let i = 0; i < 500; i++) {
    const password = randomBytes(9).toString('base64url');
    assert.equal(passwordProblem(password, ['admin']), null, password);
  }
});

test('a 256-character password is judged quickly: only its start is examined', () => {
  const started = performance.now();
  assert.equal(passwordProblem('password'.repeat(32)) === null, false);
  assert.ok(performance.now() - started < 500, 'judged in under half a second');
});
