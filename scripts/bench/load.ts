// Load: what a process pays the first time it serves a stream (after a restart, say): one scan of
// the log, the fold, the rendering; and that a burst of first requests shares that one load.
//   npx tsx scripts/bench/load.ts [--changes 1000,5000]
import { parseArgs } from 'node:util';
import pino from 'pino';
import { connectDatabase } from '../../server/db/database.ts';
import { Projections, loadStreamProjection } from '../../server/stream/projections.ts';
import { editPost, publishPost } from '../../server/stream/posts.ts';
import { renderPost } from '../../server/render/views.ts';
import { machine, median, progress, setUp } from './harness.ts';

const { values } = parseArgs({ options: { changes: { type: 'string', default: '1000,5000' } } });
const sizes = values.changes!.split(',').map(Number);
const setup = await setUp();
const database = await connectDatabase(setup.mongodbUrl, 'livelog');
const actor = { id: 'bench', name: 'bench', admin: true };
const body = 'A typical update with **bold**, a [link](https://example.com/x) and a bit more text. '.repeat(3);
const rows: string[] = [];

for (const size of sizes) {
  const slug = `load-${size}`;
  await database.streams.insertOne({ _id: slug, title: slug, description: '', epoch: 'bench', createdBy: 'bench', createdAt: new Date() });
  const writer = (await loadStreamProjection(database, slug, renderPost))!;
  progress(`${slug}: appending ${size} changes (60% posts, 40% edits)`);
  const ids: string[] = [];
  for (let i = 0; i < size; i++) {
    if (i < size * 0.6) ids.push((await publishPost(writer, { actor, body: `${i} ${body}`, key: `post-${i}-bench` })).record.postId!);
    else await editPost(writer, { actor, postId: ids[i % ids.length]!, body: `edited ${i} ${body}`, key: `edit-${i}-bench` });
  }
  const timings = { scan: [] as number[], load: [] as number[], noRender: [] as number[] };
  for (let round = 0; round < 5; round++) {
    let started = performance.now();
    await database.changes.find({ stream: slug }).sort({ _id: 1 }).toArray();
    timings.scan.push(performance.now() - started);
    started = performance.now();
    await loadStreamProjection(database, slug, () => '');
    timings.noRender.push(performance.now() - started);
    started = performance.now();
    await loadStreamProjection(database, slug, renderPost);
    timings.load.push(performance.now() - started);
  }
  // 1,000 viewers reconnecting at once after a restart: one load between them.
  const projections = new Projections({ changes: database.changes, streams: database.streams, render: renderPost, logger: pino({ level: 'silent' }), catchUpMs: 60_000 });
  let scans = 0;
  const original = database.changes.find.bind(database.changes);
  database.changes.find = ((...args: Parameters<typeof original>) => {
    if (args[0] && 'stream' in args[0]) scans++; // the scan; `_id` point lookups are not counted
    return original(...args);
  }) as typeof database.changes.find;
  const started = performance.now();
  await Promise.all(Array.from({ length: 1000 }, () => projections.get(slug)));
  const burst = performance.now() - started;
  database.changes.find = original;
  const m = (xs: number[]) => `${median(xs).toFixed(0)} ms`;
  rows.push(`| ${size} | ${m(timings.scan)} | ${m(timings.noRender)} | ${m(timings.load)} | ${scans} scan, ${burst.toFixed(0)} ms |`);
  progress(rows.at(-1)!);
}

await database.close();
await setup.cleanup();
console.log('| changes in the log | scan (find + sort) | load without rendering | full load (fold + render) | 1,000 simultaneous first requests |');
console.log('| ---: | ---: | ---: | ---: | --- |');
for (const row of rows) console.log(row);
console.log(`\n${new Date().toISOString().slice(0, 10)}, ${machine()}`);
