import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { lstat, mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import path from 'node:path';
import type { Document, FindCursor } from 'mongodb';
import type { Database } from '../db/database.ts';
import { COLLECTIONS, type CollectionName, encodeLine, fileOf, FORMAT, type IndexDefinition, MANIFEST, type Manifest, type ManifestEntry, VERSION } from './format.ts';

// Consistent without transactions. The log is insert-only and each stream's seqs are contiguous (an
// append of seq n needs n - 1 stored), so the heads read first name a complete prefix of every
// stream: changes are dumped up to them, and a post made while the backup runs is wholly in or
// wholly out. Streams are read before the heads, so a stream created meanwhile is out, with its
// changes. Photos are dumped before the log: every photo a dumped post shows was stored before the
// post. Purge is the one in-place change: a post purged meanwhile may come with photos no longer
// shown, which is harmless. Users and tokens are copied as they are when read.

/** Photos are up to a few hundred KB each: few at a time keep the process small. */
const BATCH = { media: 8, other: 500 };

export type Progress = (message: string) => void;

/** Writes a backup of the database into `dir`, which must not exist or be empty. */
export async function backup(database: Database, dir: string, progress: Progress): Promise<Manifest> {
  await refuseNonEmpty(dir);
  // Written under a temporary name beside the target, renamed when whole: a half backup is
  // never mistaken for one.
  const partial = `${dir}.partial-${process.pid}-${Date.now()}`;
  await mkdir(partial, { recursive: true, mode: 0o700 });
  try {
    const streams = await database.collection('streams').find({}, { projection: { _id: 1 } }).toArray();
    const heads = await readHeads(database, new Set(streams.map((s) => String(s._id))));
    progress(`${streams.length} stream(s), ${Object.values(heads).reduce((a, b) => a + b, 0)} change(s) up to their heads`);
    const entries: ManifestEntry[] = [];
    for (const collection of COLLECTIONS) {
      entries.push(await dumpCollection(database, collection, heads, partial, progress));
    }
    const manifest: Manifest = { format: FORMAT, version: VERSION, createdAt: new Date().toISOString(), heads, collections: entries };
    await writeFile(path.join(partial, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
    await rename(partial, dir);
    return manifest;
  } catch (error) {
    await rm(partial, { recursive: true, force: true });
    throw error;
  }
}

async function refuseNonEmpty(dir: string): Promise<void> {
  // The finished dump is renamed onto DIR: a symlink (even to an empty folder) would fail only then.
  const link = await lstat(dir).then((s) => s.isSymbolicLink(), () => false);
  if (link) throw new Error(`${dir} is a symbolic link; back up into a new folder (give its real path)`);
  const entries = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw new Error(`cannot use ${dir}: ${error.message}`);
  });
  if (entries.length) throw new Error(`${dir} exists and is not empty; back up into a new folder`);
}

/** Each stream's highest seq, in one pass over the log (FerretDB would scan it once per stream). */
async function readHeads(database: Database, streams: Set<string>): Promise<Record<string, number>> {
  const heads: Record<string, number> = Object.fromEntries([...streams].map((slug) => [slug, 0]));
  const cursor = database.collection('changes').find({}, { projection: { stream: 1, seq: 1 }, batchSize: BATCH.other });
  for await (const { stream, seq } of cursor) {
    if (streams.has(stream) && seq > heads[stream]) heads[stream] = seq;
  }
  return heads;
}

async function dumpCollection(database: Database, collection: CollectionName, heads: Record<string, number>, dir: string, progress: Progress): Promise<ManifestEntry> {
  const target = database.collection(collection);
  // Values kept as the BSON types they are (an Int32 stays one, a whole Double stays a Double).
  // The log is read in its stored order, not sorted: FerretDB sorts in memory, all of it.
  const cursor: FindCursor<Document> = target.find({}, {
    batchSize: collection === 'media' ? BATCH.media : BATCH.other,
    promoteValues: false,
  });
  const file = path.join(dir, fileOf(collection));
  const out = createWriteStream(file, { mode: 0o600 });
  const hash = createHash('sha256');
  let count = 0;
  let bytes = 0;
  try {
    for await (const document of cursor) {
      if (collection === 'changes' && !withinHeads(document, heads)) continue;
      const line = encodeLine(document);
      hash.update(line);
      bytes += Buffer.byteLength(line);
      count += 1;
      if (!out.write(line)) await once(out, 'drain');
      if (count % 1000 === 0) progress(`${collection}: ${count}`);
    }
  } finally {
    out.end();
    await once(out, 'close');
  }
  const indexes = await indexesOf(database, collection);
  progress(`${collection}: ${count} written (${bytes} bytes)`);
  return { collection, count, bytes, sha256: hash.digest('hex'), indexes };
}

function withinHeads(change: Document, heads: Record<string, number>): boolean {
  const head = heads[String(change.stream)];
  return head !== undefined && Number(change.seq) <= head;
}

/** The collection's indexes besides `_id`, so a restored database has them before it serves. */
async function indexesOf(database: Database, collection: CollectionName): Promise<IndexDefinition[]> {
  const indexes = await database.collection(collection).indexes().catch(() => []);
  return indexes
    .filter((index) => index.name !== '_id_')
    .map((index) => ({
      name: String(index.name),
      key: Object.fromEntries(Object.entries(index.key).map(([field, direction]) => [field, Number(direction) < 0 ? -1 : 1])) as IndexDefinition['key'],
      ...(index.unique ? { unique: true } : {}),
    }));
}
