import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PasswordChecks } from '../../server/auth/password-checks.ts';
import { PasswordChecksBusy } from '../../server/errors.ts';
import { statusOf } from '../../server/http/plugins/errors.ts';

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

test('at most `concurrency` checks run at once; the queue holds the next ones; beyond it 503', async () => {
  const checks = new PasswordChecks(2, 3);
  const g = gate();
  let running = 0;
  let most = 0;
  const work = async () => {
    running++;
    most = Math.max(most, running);
    await g.opened;
    running--;
    return 'done';
  };
  const accepted = Array.from({ length: 5 }, () => checks.run(work));
  const refused = await checks.run(work).then(
    () => null,
    (error: unknown) => error,
  );
  assert.ok(refused instanceof PasswordChecksBusy);
  assert.equal(statusOf(refused as Error), 503);
  g.open();
  assert.deepEqual(await Promise.all(accepted), Array(5).fill('done'));
  assert.equal(most, 2);
  // Every slot was handed back: a new burst gets the full bound again.
  const again = gate();
  const second = Array.from({ length: 5 }, () => checks.run(() => again.opened));
  await assert.rejects(checks.run(() => again.opened), PasswordChecksBusy);
  again.open();
  await Promise.all(second);
});

test('a check that fails frees its slot and passes its error on', async () => {
  const checks = new PasswordChecks(1, 0);
  await assert.rejects(
    checks.run(() => Promise.reject(new Error('scrypt broke'))),
    /scrypt broke/,
  );
  assert.equal(await checks.run(async () => 42), 42);
});
