import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { MongoChangeStore } from '../server/log/mongo-store.ts';
import { StreamProjection } from '../server/log/projection.ts';
import { Streams } from '../server/log/streams.ts';
import { freshDatabaseName, testDatabase } from './helpers.ts';

const WRITER = fileURLToPath(new URL('./fixtures/writer.ts', import.meta.url));
const PER_WRITER = 100;

let database: Awaited<ReturnType<typeof testDatabase>>;
const dbName = freshDatabaseName();

before(async () => {
  database = await testDatabase(dbName);
  await new Streams(new MongoChangeStore(database)).create('final', 'The final', 'test');
});
after(() => database.drop());

interface WriterResult {
  seqs: number[];
  shared: { seq: number; replayed: boolean };
}

function startWriter(id: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', WRITER, dbName, 'final', id, String(PER_WRITER)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk) => (out += chunk));
  const ready = new Promise<void>((resolve) => child.stdout.on('data', () => out.startsWith('ready\n') && resolve()));
  const done = new Promise<WriterResult>((resolve, reject) =>
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.slice('ready\n'.length))) : reject(new Error(`writer ${id} exited ${code}`)))),
  );
  return { ready, go: () => child.stdin.end('go\n'), done };
}

test('two writer processes appending at once produce one contiguous log that every reader sees in order', { timeout: 120_000 }, async () => {
  const stream = (await new MongoChangeStore(database).stream('final'))!;
  // Readers with their own state, polling the way a second instance would: each records every seq
  // it applies, and must see 1, 2, 3, … with no gap and no repeat.
  const readers = [0, 1].map(() => {
    const projection = new StreamProjection(stream, new MongoChangeStore(database));
    const seen: number[] = [];
    projection.on('change', (view) => seen.push(view.seq));
    return { projection, seen };
  });
  for (const reader of readers) await reader.projection.load();
  let polling = true;
  const polls = readers.map(async ({ projection }) => {
    while (polling) {
      await projection.catchUp();
      await new Promise((r) => setTimeout(r, 5));
    }
  });
  // A raw `since` poller too: what the database shows at any moment is a gap-free prefix.
  const rawSeen: number[] = [];
  const rawRead = async () => {
    const last = rawSeen.at(-1) ?? 0;
    const batch = await database.collection('changes').find({ stream: 'final', seq: { $gt: last } }).sort({ seq: 1 }).toArray();
    for (const record of batch) {
      assert.equal(record.seq, (rawSeen.at(-1) ?? 0) + 1, `raw reader saw seq ${record.seq} after ${rawSeen.at(-1)}`);
      rawSeen.push(record.seq);
    }
  };
  const rawPoll = (async () => {
    while (polling) {
      await rawRead();
      await new Promise((r) => setTimeout(r, 10));
    }
  })();

  const writers = [startWriter('a'), startWriter('b')];
  await Promise.all(writers.map((w) => w.ready)); // both connected and loaded
  for (const writer of writers) writer.go();
  const [resultA, resultB] = await Promise.all(writers.map((w) => w.done));

  const total = 2 * PER_WRITER + 1; // every post of both writers, and the shared one once
  polling = false;
  await Promise.all([...polls, rawPoll]);
  // One last read each, now that the writers are done.
  for (const reader of readers) await reader.projection.catchUp();
  await rawRead();

  const expected = Array.from({ length: total }, (_, i) => i + 1);
  const stored = await database.collection('changes').find({ stream: 'final' }).sort({ seq: 1 }).toArray();
  assert.deepEqual(stored.map((r) => r.seq), expected, 'the stored log is contiguous');
  assert.deepEqual(new Set(stored.map((r) => r.key)).size, total, 'no key appears twice');
  for (const reader of readers) assert.deepEqual(reader.seen, expected, 'each reader applied every seq once, in order');
  assert.deepEqual(rawSeen, expected, 'the raw reader saw every seq once, in order');

  // Each writer's own posts are all there, in the order it wrote them.
  for (const result of [resultA, resultB]) {
    assert.equal(result.seqs.length, PER_WRITER);
    assert.deepEqual([...result.seqs].sort((x, y) => x - y), result.seqs);
  }
  assert.ok(resultA.seqs.some((s) => resultB.seqs.some((t) => t > s)) && resultB.seqs.some((s) => resultA.seqs.some((t) => t > s)),
    'the two writers really interleaved');
  // The shared key: one change, and both writers were answered with it.
  assert.equal(resultA.shared.seq, resultB.shared.seq);
  assert.equal([resultA.shared.replayed, resultB.shared.replayed].filter(Boolean).length, 1);
  assert.equal(stored.filter((r) => r.key === 'device/shared-key').length, 1); // keys are stored scoped to their sender
  assert.deepEqual(readers[0]!.projection.page(1000).map((v) => v.post.id), readers[1]!.projection.page(1000).map((v) => v.post.id));
});
