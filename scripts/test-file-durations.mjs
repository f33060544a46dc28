// A node:test reporter that says where a run's time goes, file by file: the time from the previous
// event to each of a file's events is that file's (start-up included), exact with
// --test-concurrency=1. Failures are named as they come.
//   tsx scripts/with-database.ts node --import tsx --test --test-concurrency=1 \
//     --test-reporter=./scripts/test-file-durations.mjs test/*.test.ts
import path from 'node:path';

export default async function* testFileDurations(source) {
  const files = new Map();
  const started = performance.now();
  let last = started;
  let failed = 0;
  for await (const event of source) {
    const now = performance.now();
    const file = event.data?.file;
    if (!file) continue;
    const entry = files.get(file) ?? { ms: 0, tests: 0 };
    entry.ms += now - last;
    last = now;
    const topLevel = event.data.nesting === 0 && !event.data.details?.type;
    if ((event.type === 'test:pass' || event.type === 'test:fail') && topLevel) entry.tests++;
    if (event.type === 'test:fail' && event.data.nesting === 0) {
      failed++;
      yield `FAIL ${path.basename(file)}: ${event.data.name}\n`;
    }
    files.set(file, entry);
  }
  const rows = [...files].sort((a, b) => b[1].ms - a[1].ms);
  for (const [file, { ms, tests }] of rows) {
    yield `${path.basename(file).padEnd(28)} ${(ms / 1000).toFixed(1).padStart(7)} s  ${String(tests).padStart(3)} tests\n`;
  }
  yield `total ${((performance.now() - started) / 1000).toFixed(1)} s, ${rows.length} files, ${failed} failed\n`;
}
