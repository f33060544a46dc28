import { createInterface } from 'node:readline';
import { Transform, type Readable } from 'node:stream';
import { BSON, type Document } from 'mongodb';

// A Livelog backup is a folder: one file per collection, each document one line of canonical
// Extended JSON (so Int32 and Double, Long, Date, Binary and ObjectId come back as they were, on
// MongoDB and FerretDB alike), and manifest.json with counts, indexes and a SHA-256 per file.

export const FORMAT = 'livelog-backup';
export const VERSION = 1;
export const MANIFEST = 'manifest.json';

/**
 * What a backup holds, in the order a restore loads it. `schedule` holds the hints the scheduler
 * reads to publish a scheduled post at its time (without one the post would wait until someone
 * opened its stream); a restore also adds one for every scheduling in the log it loads, so a hint
 * removed while the backup ran (its post published after the heads were read), or a backup older
 * than this collection's place in it, loses no scheduled post. Not dumped: `sessions` (logins; a
 * restored server asks people to log in again rather than honour cookies copied with a dump),
 * `secrets` (the cookie-signing key, which only those sessions would need; a new one is made),
 * and the transient `doorbell` and `presence` of running instances.
 */
export const COLLECTIONS = ['users', 'tokens', 'streams', 'media', 'changes', 'schedule'] as const;
export type CollectionName = (typeof COLLECTIONS)[number];
/** Collections a backup written before they were added lacks; a restore makes do without them. */
export const ADDED_LATER: readonly CollectionName[] = ['schedule'];
/** What `restore --force` drops besides the above: the logins into the data it replaces. */
export const DROPPED_ON_FORCE = ['sessions'] as const;

export const fileOf = (collection: CollectionName) => `${collection}.ejson`;

export interface IndexDefinition {
  name: string;
  key: Record<string, 1 | -1>;
  unique?: boolean;
}

export interface ManifestEntry {
  collection: CollectionName;
  count: number;
  bytes: number;
  sha256: string;
  indexes: IndexDefinition[];
}

export interface Manifest {
  format: typeof FORMAT;
  version: typeof VERSION;
  createdAt: string;
  /** Each stream's last seq when the backup began: the log is dumped up to these. */
  heads: Record<string, number>;
  collections: ManifestEntry[];
}

export function encodeLine(document: Document): string {
  return `${BSON.EJSON.stringify(document, { relaxed: false })}\n`;
}

export function decodeLine(line: string): Document {
  return BSON.EJSON.parse(line, { relaxed: false }) as Document;
}

/** A manifest read from disk, checked field by field; throws saying what is wrong. */
export function parseManifest(text: string): Manifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`${MANIFEST} is not JSON`);
  }
  const manifest = value as Partial<Manifest>;
  if (manifest?.format !== FORMAT) throw new Error(`${MANIFEST} is not a Livelog backup's manifest`);
  if (manifest.version !== VERSION) throw new Error(`${MANIFEST} has version ${String(manifest.version)}; this Livelog reads version ${VERSION}`);
  const entries = Array.isArray(manifest.collections) ? manifest.collections : [];
  const expected = COLLECTIONS.filter((name) => !ADDED_LATER.includes(name) || entries.some((entry) => entry?.collection === name));
  const named = expected.map((name) => entries.find((entry) => entry?.collection === name));
  const broken = named.findIndex((entry) => !isEntry(entry));
  if (broken >= 0 || entries.length !== expected.length) throw new Error(`${MANIFEST} does not describe ${expected[Math.max(broken, 0)]} properly`);
  return { ...(manifest as Manifest), collections: named as ManifestEntry[] };
}

function isEntry(entry: ManifestEntry | undefined): entry is ManifestEntry {
  return (
    !!entry &&
    Number.isSafeInteger(entry.count) &&
    entry.count >= 0 &&
    Number.isSafeInteger(entry.bytes) &&
    typeof entry.sha256 === 'string' &&
    /^[0-9a-f]{64}$/.test(entry.sha256) &&
    Array.isArray(entry.indexes) &&
    entry.indexes.every(isIndex)
  );
}

function isIndex(index: IndexDefinition): boolean {
  return (
    typeof index?.name === 'string' &&
    /^[A-Za-z0-9_.-]{1,100}$/.test(index.name) &&
    typeof index.key === 'object' &&
    index.key !== null &&
    Object.keys(index.key).length > 0 &&
    Object.values(index.key).every((direction) => direction === 1 || direction === -1) &&
    (index.unique === undefined || typeof index.unique === 'boolean')
  );
}

/**
 * The longest line a dump can hold: a document is at most 16 MB of BSON, and canonical EJSON writes
 * binary data as base64 with its type, so three times that leaves room and still bounds the memory a
 * damaged or hostile file can make a restore hold.
 */
export const MAX_LINE_BYTES = 48 * 1024 * 1024;

/** A dump file's lines, refusing (with a plain reason) a line past MAX_LINE_BYTES instead of buffering it. */
export function dumpLines(input: Readable, file: string, maxLineBytes = MAX_LINE_BYTES): AsyncIterable<string> {
  let sinceNewline = 0;
  let line = 1;
  const guard = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      let start = 0;
      for (let end = chunk.indexOf(10); end !== -1; end = chunk.indexOf(10, start)) {
        if (sinceNewline + end - start > maxLineBytes) break;
        sinceNewline = 0;
        line++;
        start = end + 1;
      }
      sinceNewline += chunk.length - start;
      if (sinceNewline > maxLineBytes) {
        done(new Error(`line ${line} of ${file} is longer than ${maxLineBytes / 1024 / 1024} MB: not a dump Livelog wrote (a document is at most 16 MB)`));
        return;
      }
      done(null, chunk);
    },
  });
  input.on('error', (error) => guard.destroy(error));
  return createInterface({ input: input.pipe(guard), crlfDelay: Number.POSITIVE_INFINITY });
}
