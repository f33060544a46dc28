// What one read costs FerretDB (SQLite), by its shape: P clients (instances) each send one read every
// PERIOD ms, and FerretDB's CPU over SECONDS is divided by the reads a second. Used to choose how an
// idle instance asks "anything new?" and reads viewer counts (issue 13, BENCHMARKS.md).
//   npx tsx scripts/bench/ferretdb-reads.ts [--clients 32] [--period 500] [--seconds 10] [--shapes a,b]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { type Db, MongoClient } from 'mongodb';
import { startEmbeddedDatabase } from '../../server/db/embedded.ts';
import { machine, progress } from './harness.ts';
import { cpuSeconds, ferretdbPid } from './cpu.ts';

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '32' },
    period: { type: 'string', default: '500' },
    seconds: { type: 'string', default: '10' },
    shapes: { type: 'string' },
  },
});
const clientCount = Number(values.clients);
const periodMs = Number(values.period);
const seconds = Number(values.seconds);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const dataDir = await mkdtemp(path.join(tmpdir(), 'livelog-reads-'));
const embedded = await startEmbeddedDatabase({ dataDir, logger: pino({ level: 'warn' }) });
const pid = await ferretdbPid();
const clients = await Promise.all(Array.from({ length: clientCount }, () => MongoClient.connect(embedded.url)));
const db = clients[0]!.db('reads');
const padded = (n: number) => `ring:${String(n).padStart(12, '0')}`;
const nested = [1, 2, 3, 4].map((i) => ({ stream: `bench-${i}`, n: 1 }));
await db.createCollection('doorbell', { capped: true, size: 1 << 20, max: 10 });
await db.collection('doorbell').insertMany(Array.from({ length: 10 }, (_, i) => ({ stream: `bench-${i}`, seq: i, from: 'x', at: new Date() })));
await db.collection<{ _id: string }>('rings').insertMany(Array.from({ length: 100 }, (_, i) => ({ _id: padded(i), seq: i })));
await db.collection<{ _id: number }>('numbered').insertMany(Array.from({ length: 100 }, (_, i) => ({ _id: i, seq: i })));
await db.collection<{ _id: string }>('nested').insertMany(Array.from({ length: clientCount }, (_, i) => ({ _id: `i${i}`, counts: nested, at: new Date() })));
await db.collection<{ _id: string }>('lines').insertMany(Array.from({ length: clientCount }, (_, i) => ({ _id: `i${i}`, viewers: 'bench-1=1 bench-2=1 bench-3=1 bench-4=1', at: new Date() })));

type Read = (db: Db, client: number) => Promise<unknown>;
const shapes: Record<string, () => Promise<Read>> = {
  ping: async () => (d) => d.command({ ping: 1 }),
  // The doorbell as it is read on FerretDB: a tailable cursor without awaitData, polled.
  'doorbell-tail-10': async () => {
    const cursors = clients.map((client) => client.db('reads').collection('doorbell').find({}, { tailable: true, batchSize: 1 }));
    for (const cursor of cursors) while (await cursor.tryNext()) {}
    return async (_d, i) => {
      while (await cursors[i]!.tryNext()) {}
    };
  },
  'point-lookup-missing-string-id': async () => (d) => d.collection<{ _id: string }>('rings').findOne({ _id: padded(5000) }),
  'point-lookup-missing-number-id': async () => (d) => d.collection<{ _id: number }>('numbered').findOne({ _id: 5000 }),
  'presence-nested-filtered': async () => (d) => d.collection('nested').find({ at: { $gt: new Date(0) } }).toArray(),
  'presence-lines-filtered': async () => (d) => d.collection('lines').find({ at: { $gt: new Date(0) } }).toArray(),
  'presence-lines': async () => (d) => d.collection('lines').find({}).toArray(),
  'presence-write': async () => (d, i) => d.collection<{ _id: string }>('lines').replaceOne({ _id: `i${i}` }, { viewers: 'bench-1=1', at: new Date() }, { upsert: true }),
};

const results = [];
for (const name of values.shapes?.split(',') ?? Object.keys(shapes)) {
  const make = shapes[name];
  if (!make) throw new Error(`no shape ${name}: ${Object.keys(shapes).join(', ')}`);
  const read = await make();
  let running = true;
  let reads = 0;
  const loops = clients.map(async (client, i) => {
    await sleep(Math.random() * periodMs);
    while (running) {
      await read(client.db('reads'), i);
      reads++;
      await sleep(periodMs);
    }
  });
  await sleep(1000);
  const [cpuBefore, readsBefore, started] = [await cpuSeconds(pid), reads, performance.now()];
  await sleep(seconds * 1000);
  const elapsed = (performance.now() - started) / 1000;
  const cpuPercent = (100 * ((await cpuSeconds(pid)) - cpuBefore)) / elapsed;
  const readsPerSecond = (reads - readsBefore) / elapsed;
  running = false;
  await Promise.all(loops);
  const result = { shape: name, readsPerSecond: Math.round(readsPerSecond), cpuPercent: Math.round(cpuPercent * 10) / 10, cpuMsPerRead: Math.round(((10 * cpuPercent) / readsPerSecond) * 1000) / 1000 };
  progress(JSON.stringify(result));
  results.push(result);
}
console.log(JSON.stringify({ machine: machine(), date: new Date().toISOString(), clients: clientCount, periodMs, results }));
for (const client of clients) await client.close().catch(() => {});
await embedded.stop();
await rm(dataDir, { recursive: true, force: true });
