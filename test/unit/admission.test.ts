import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { defaultMaxViewers, ViewerAdmission, type Refusal } from '../../server/live/admission.ts';
import { TooManyViewers, TooManyViewersFromAddress } from '../../server/errors.ts';
import { statusOf } from '../../server/http/plugins/errors.ts';
import { InboundBudget } from '../../server/live/websocket.ts';

const admitted = (result: (() => void) | Refusal) => {
  assert.equal(typeof result, 'function', `refused: ${JSON.stringify(result)}`);
  return result as () => void;
};

test('one address gets at most its share of live connections (429), everyone together the total (503)', () => {
  const admission = new ViewerAdmission(5, 3);
  const releases = [admitted(admission.admit('10.0.0.1')), admitted(admission.admit('10.0.0.1')), admitted(admission.admit('10.0.0.1'))];
  const perAddress = admission.admit('10.0.0.1') as Refusal;
  assert.ok(perAddress instanceof TooManyViewersFromAddress);
  assert.equal(statusOf(perAddress), 429);
  assert.ok(admission.retryAfterSeconds > 0);
  admitted(admission.admit('10.0.0.2'));
  admitted(admission.admit('10.0.0.3'));
  const total = admission.admit('10.0.0.4') as Refusal;
  assert.ok(total instanceof TooManyViewers);
  assert.equal(statusOf(total), 503);
  releases[0]!();
  admitted(admission.admit('10.0.0.4'));
});

test('a place is given back exactly once, however many times its connection reports the end', () => {
  const admission = new ViewerAdmission(10, 10);
  const release = admitted(admission.admit('10.0.0.1'));
  admitted(admission.admit('10.0.0.1'));
  release();
  release();
  assert.equal(admission.viewers, 1);
  assert.equal(admission.viewersFrom('10.0.0.1'), 1);
});

test('the default total follows the open-file limit, with room kept for everything else', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'limits-'));
  const file = (soft: string) => {
    const name = path.join(dir, soft);
    writeFileSync(name, `Limit                     Soft Limit           Hard Limit           Units\nMax open files            ${soft}                 1048576              files\n`);
    return name;
  };
  assert.equal(defaultMaxViewers(file('4096')), 4096 - 1024);
  assert.equal(defaultMaxViewers(file('1048576')), 15_000);
  assert.equal(defaultMaxViewers(file('unlimited')), 15_000);
  assert.equal(defaultMaxViewers(path.join(dir, 'missing')), 15_000);
});

test('a viewer may send a few small messages a minute, no more', () => {
  const budget = new InboundBudget(5, 1024, 60_000);
  const now = 1_000_000;
  for (let i = 0; i < 5; i++) assert.equal(budget.spend(10, now + i), true);
  assert.equal(budget.spend(10, now + 10), false, 'a sixth message');
  assert.equal(budget.spend(10, now + 60_000), true, 'a new minute');
  const bytes = new InboundBudget(5, 1024, 60_000);
  assert.equal(bytes.spend(1000, now), true);
  assert.equal(bytes.spend(100, now), false, 'more than 1 KB');
});
