import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { configTable, README, readmeWithTable } from '../../scripts/config-table.ts';

test("the README's configuration table is the one the schema in server/config.ts makes", () => {
  const readme = readFileSync(README, 'utf8');
  assert.ok(
    readme === readmeWithTable(readme),
    'README.md\'s configuration table differs from server/config.ts: run "npm run config-table -- --write" and commit README.md',
  );
});

test('the table has a row per setting, with its default or "unset"', () => {
  const table = configTable();
  assert.match(table, /^\| `PORT` \| `3000` \| HTTP port \|$/m);
  assert.match(table, /^\| `MONGODB_URL` \| unset \| /m);
  assert.match(table, /^\| `LIVELOG_MAX_VIEWERS` \| 15,000, or the open-file limit less 1,024 if lower \| /m);
});
