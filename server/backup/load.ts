import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { BSON, type Document } from 'mongodb';
import type { Database } from '../db/database.ts';
import { hintIdOf, type ScheduleHint } from '../log/schedule-hints.ts';
import { newEpoch } from '../log/streams.ts';
import { COLLECTIONS, decodeLine, DROPPED_ON_FORCE, dumpLines, fileOf, MANIFEST, type Manifest, type ManifestEntry, parseManifest } from './format.ts';
import type { Progress } from './dump.ts';

/** Documents inserted at once, and the bytes of text past which a batch goes early (photos). */
const BATCH_DOCUMENTS = 500;
const BATCH_BYTES = 8 * 1024 * 1024;
const MAX_MANIFEST_BYTES = 1024 * 1024;

export interface RestoreOptions {
  /** Drop Livelog's collections first instead of refusing a database that holds anything. */
  force: boolean;
}

/** Checks a backup whole, then loads it into the database; nothing is written if a check fails. */
export async function restore(database: Database, dir: string, options: RestoreOptions, progress: Progress): Promise<Manifest> {
  const manifest = await verify(dir, progress);
  const hints = new Map<string, ScheduleHint>();
  const present = await contents(database);
  if (present.length && !options.force) {
    throw new Error(`the database "${database.db.databaseName}" is not empty (${present.join(', ')}); restore into an empty one, or pass --force to drop Livelog's collections first`);
  }
  if (present.length) {
    for (const name of [...COLLECTIONS, ...DROPPED_ON_FORCE]) await database.collection(name).drop().catch(() => false);
    progress(`dropped ${[...COLLECTIONS, ...DROPPED_ON_FORCE].join(', ')} (--force)`);
  }
  for (const entry of manifest.collections) {
    // Before the documents: unique indexes refuse duplicates while loading, and a server started on
    // the restored database relies on them from its first request.
    for (const index of entry.indexes) {
      await database.ensureIndex(entry.collection, index.key, { name: index.name, ...(index.unique ? { unique: true } : {}) });
    }
    await load(database, dir, entry, progress, hints);
  }
  await addMissingHints(database, hints, progress);
  return manifest;
}

/**
 * A hint for every scheduling in the loaded log that the dump's `schedule` lacks: its post would
 * otherwise never be published by the scheduler. One whose post was published or moved since is
 * dropped by the scheduler at its time, as any stale hint is.
 */
async function addMissingHints(database: Database, hints: Map<string, ScheduleHint>, progress: Progress): Promise<void> {
  const schedule = database.collection<ScheduleHint>('schedule');
  for await (const { _id } of schedule.find({}, { projection: { _id: 1 } })) hints.delete(_id);
  if (!hints.size) return;
  await schedule.insertMany([...hints.values()], { ordered: true });
  progress(`schedule: ${hints.size} hint(s) added for schedulings in the log`);
}

function noteScheduling(document: Document, hints: Map<string, ScheduleHint>): void {
  if (document.type !== 'schedule' || !(document.publishAt instanceof Date)) return;
  const hint = { _id: hintIdOf(String(document.stream), String(document.postId), document.publishAt), stream: String(document.stream), postId: String(document.postId), publishAt: document.publishAt };
  hints.set(hint._id, hint);
}

/**
 * The manifest, once every file matches its size and SHA-256 there and every document in it reads
 * as a load would: before anything is dropped, so that a --force restore of a dump that cannot load
 * leaves the old data in place, not half of each. Each file is read once for both.
 */
async function verify(dir: string, progress: Progress): Promise<Manifest> {
  const manifestFile = path.join(dir, MANIFEST);
  const size = await stat(manifestFile).then(
    (s) => s.size,
    () => {
      throw new Error(`${dir} holds no ${MANIFEST}: not a Livelog backup, or an unfinished one`);
    },
  );
  if (size > MAX_MANIFEST_BYTES) throw new Error(`${MANIFEST} is too large to be a Livelog backup's manifest`);
  const manifest = parseManifest(await readFile(manifestFile, 'utf8'));
  // A changed file is said to be changed, whatever its documents look like: checksums first.
  const reads: { entry: ManifestEntry; read: DumpFileRead }[] = [];
  for (const entry of manifest.collections) {
    const file = fileOf(entry.collection);
    const found = await readDumpFile(dir, entry);
    if (!found) throw new Error(`${file} is missing from ${dir}; nothing was restored`);
    if (found.sha256 !== entry.sha256 || found.bytes !== entry.bytes) {
      throw new Error(`${file} does not match its checksum in ${MANIFEST}: the backup is damaged or was changed; nothing was restored`);
    }
    reads.push({ entry, read: found });
  }
  progress(`checked ${manifest.collections.length} files against ${MANIFEST} (backup of ${manifest.createdAt})`);
  for (const { entry, read } of reads) {
    if (read.problem) throw new Error(`${fileOf(entry.collection)} ${read.problem}; nothing was restored`);
    progress(`${entry.collection}: ${read.documents} documents read and checked`);
  }
  return manifest;
}

interface DumpFileRead {
  sha256: string;
  bytes: number;
  documents: number;
  /** The first thing that would stop a load: a line that is no document, a repeated _id, a count unlike the manifest's. */
  problem?: string;
}

/** One read of a dump file: its SHA-256 and size, and each document decoded and checked; null if it is missing. */
async function readDumpFile(dir: string, entry: ManifestEntry): Promise<DumpFileRead | null> {
  const input = createReadStream(path.join(dir, fileOf(entry.collection)));
  const hash = createHash('sha256');
  let bytes = 0;
  input.on('data', (chunk) => {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  });
  const ids = new Set<string>();
  let problem: string | undefined;
  let lineNumber = 0;
  try {
    for await (const line of dumpLines(input, fileOf(entry.collection))) {
      lineNumber++;
      if (!line || problem) continue; // read on to the end for the checksum
      problem = documentProblem(line, lineNumber, ids);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  if (!problem && ids.size !== entry.count) problem = `holds ${ids.size} documents, not the ${entry.count} of ${MANIFEST}`;
  return { sha256: hash.digest('hex'), bytes, documents: ids.size, problem };
}

/** Why a line could not be loaded, if it could not; records its _id in `ids`. */
function documentProblem(line: string, lineNumber: number, ids: Set<string>): string | undefined {
  let document: Document;
  try {
    document = decodeLine(line);
  } catch (error) {
    return `line ${lineNumber} is not a document (${(error as Error).message})`;
  }
  if (document._id === undefined || document._id === null) return `line ${lineNumber} has no _id`;
  const id = BSON.EJSON.stringify(document._id, { relaxed: false });
  if (ids.has(id)) return `line ${lineNumber} repeats the _id ${id.slice(0, 80)}`;
  ids.add(id);
  return undefined;
}

function linesOf(dir: string, entry: ManifestEntry): AsyncIterable<string> {
  return dumpLines(createReadStream(path.join(dir, fileOf(entry.collection))), fileOf(entry.collection));
}

/** What Livelog's collections hold, as "N name" for each one that is not empty. */
async function contents(database: Database): Promise<string[]> {
  const counts = await Promise.all(
    [...COLLECTIONS, ...DROPPED_ON_FORCE].map(async (name) => [name, await database.collection(name).estimatedDocumentCount()] as const),
  );
  return counts.filter(([, count]) => count > 0).map(([name, count]) => `${count} ${name}`);
}

/** Reads a file line by line and inserts in bounded batches. */
async function load(database: Database, dir: string, entry: ManifestEntry, progress: Progress, hints: Map<string, ScheduleHint>): Promise<void> {
  const target = database.collection(entry.collection);
  let batch: Document[] = [];
  let batchBytes = 0;
  let loaded = 0;
  const flush = async () => {
    if (!batch.length) return;
    await target.insertMany(batch, { ordered: true });
    loaded += batch.length;
    batch = [];
    batchBytes = 0;
    progress(`${entry.collection}: ${loaded}/${entry.count}`);
  };
  for await (const line of linesOf(dir, entry)) {
    if (!line) continue;
    const document = decodeLine(line);
    // A restored stream starts a new history: a viewer or script holding a resume point from after
    // the backup must replay from the start, not skip the seqs that will be reused.
    if (entry.collection === 'streams') document.epoch = newEpoch();
    if (entry.collection === 'changes') noteScheduling(document, hints);
    batch.push(document);
    batchBytes += line.length;
    if (batch.length >= BATCH_DOCUMENTS || batchBytes >= BATCH_BYTES) await flush();
  }
  await flush();
  if (loaded !== entry.count) throw new Error(`${fileOf(entry.collection)} held ${loaded} documents, not the ${entry.count} of ${MANIFEST}`);
}
