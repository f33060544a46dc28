// Load: what a process pays the first time it serves a stream (after a restart, say): one scan of
// the log, the fold, the rendering; and that a burst of first requests shares that one load.
//   npx tsx scripts/bench/load.ts [--changes 1000,5000]
import { parseArgs } from 'node:util';
import pino from 'pino';
import { MongoChangeStore } from '../../server/log/mongo-store.ts';
import { connectDatabase } from '../../server/db/database.ts';
import { loadStreamProjection } from '../../server/log/projection.ts';
import { Projections } from '../../server/log/projections.ts';
import { editPost, publishPost } from '../../server/log/commands.ts';
import type { StreamRecord } from '../../server/log/records.ts';
import { postHtml } from '../../server/render/post-html.ts';
import { machine, median, progress, setUp } from './harness.ts';

const { values } = parseArgs({ options: { changes: { type: 'string', default: '1000,5000' } } });
const sizes = values.changes!.split(',').map(Number);
const setup = await setUp();
const database = await connectDatabase(setup.mongodbUrl, 'livelog');
const actor = { id: 'bench', name: 'bench', admin: true };
const body = 'A typical update with **bold**, a [link](https://example.com/x) and a bit more text. '.repeat(3);
const rows: string[] = [];
const store = new MongoChangeStore(database);

for (const size of sizes) {
  const slug = `load-${size}`;
  await database.collection<StreamRecord>('streams').insertOne({ _id: slug, title: slug, description: '', epoch: 'bench', createdBy: 'bench', createdAt: new Date() });
  const writer = (await loadStreamProjection(store, slug))!;
  progress(`${slug}: appending ${size} changes (60% posts, 40% edits)`);
  const ids: string[] = [];
  for (let i = 0; i < size; i++) {
    if (i < size * 0.6) ids.push((await publishPost(writer, { actor, body: `${i} ${body}`, key: `post-${i}-bench` })).record.postId!);
    else await editPost(writer, { actor, postId: ids[i % ids.length]!, body: `edited ${i} ${body}`, key: `edit-${i}-bench` });
  }
  const timings = { scan: [] as number[], load: [] as number[], noRender: [] as number[] };
  for (let round = 0; round < 5; round++) {
    let started = performance.now();
    await database.collection('changes').find({ stream: slug }).sort({ _id: 1 }).toArray();
    timings.scan.push(performance.now() - started);
    started = performance.now();
    await loadStreamProjection(store, slug);
    timings.noRender.push(performance.now() - started);
    started = performance.now();
    const loaded = (await loadStreamProjection(store, slug))!;
    for (const version of loaded.page(Infinity)) postHtml(version, slug);
    timings.load.push(performance.now() - started);
  }
  // 1,000 viewers reconnecting at once after a restart: one load between them.
  let scans = 0;
  const counting = new MongoChangeStore(database);
  const readAll = counting.readAll.bind(counting);
  counting.readAll = (stream) => {
    scans++; // the scan; `_id` point lookups are not counted
    return readAll(stream);
  };
  const projections = new Projections({ store: counting, logger: pino({ level: 'silent' }), catchUpMs: 60_000 });
  const started = performance.now();
  await Promise.all(Array.from({ length: 1000 }, () => projections.get(slug)));
  const burst = performance.now() - started;
  const m = (xs: number[]) => `${median(xs).toFixed(0)} ms`;
  rows.push(`| ${size} | ${m(timings.scan)} | ${m(timings.noRender)} | ${m(timings.load)} | ${scans} scan, ${burst.toFixed(0)} ms |`);
  progress(rows.at(-1)!);
}

await database.close();
await setup.cleanup();
console.log('| changes in the log | scan (find + sort) | load without rendering | full load (fold + render the posts) | 1,000 simultaneous first requests |');
console.log('| ---: | ---: | ---: | ---: | --- |');
for (const row of rows) console.log(row);
console.log(`\n${new Date().toISOString().slice(0, 10)}, ${machine()}`);
