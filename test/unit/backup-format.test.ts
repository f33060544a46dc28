import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Binary, Double, Int32, Long, ObjectId } from 'mongodb';
import { Readable } from 'node:stream';
import { COLLECTIONS, decodeLine, dumpLines, encodeLine, FORMAT, parseManifest, VERSION } from '../../server/backup/format.ts';

test('a document survives a line of the dump with its BSON types, and is one line whatever its text', () => {
  const document = {
    _id: new ObjectId('65a1b2c3d4e5f60718293a4b'),
    seq: new Int32(42),
    width: new Double(1024),
    ratio: new Double(0.1 + 0.2),
    big: Long.fromString('9007199254740993'),
    at: new Date('2026-11-26T08:00:00.123Z'),
    bytes: new Binary(Buffer.from([0, 255, 10, 13, 0x22])),
    body: 'line\nbreak\r\n \u2028 \u2029 "quotes" \\ </script> 🎉 \u0000',
    nested: { list: [new Int32(1), null, true, { deep: new Double(-0) }] },
  };
  const line = encodeLine(document);
  assert.equal(line.indexOf('\n'), line.length - 1, 'one line, newline-terminated');
  assert.equal(line.indexOf('\r'), -1);
  const back = decodeLine(line);
  assert.deepEqual(back, document);
  assert.ok(back.seq instanceof Int32 && back.width instanceof Double && back.big instanceof Long, 'the number types are kept');
  assert.deepEqual(Buffer.from((back.bytes as Binary).buffer), Buffer.from([0, 255, 10, 13, 0x22]));
});

const valid = () => ({
  format: FORMAT,
  version: VERSION,
  createdAt: '2026-11-26T08:00:00.000Z',
  heads: { launch: 3 },
  collections: COLLECTIONS.map((collection) => ({ collection, count: 1, bytes: 10, sha256: 'a'.repeat(64), indexes: [{ name: 'name', key: { name: 1 }, unique: true }] })),
});

test('a manifest is read only when every field is what a backup writes', () => {
  assert.equal(parseManifest(JSON.stringify(valid())).collections.length, COLLECTIONS.length);
  const broken: [string, (m: ReturnType<typeof valid>) => unknown][] = [
    ['is not a Livelog', (m) => ({ ...m, format: 'other' })],
    ['has version 2', (m) => ({ ...m, version: 2 })],
    ['does not describe changes', (m) => ({ ...m, collections: m.collections.filter((c) => c.collection !== 'changes') })],
    ['does not describe schedule', (m) => ({ ...m, collections: [...m.collections.slice(0, -1), { ...m.collections.at(-1)!, count: 'x' }] })],
    ['does not describe users', (m) => ({ ...m, collections: [{ ...m.collections[0], sha256: '../etc/passwd' }, ...m.collections.slice(1)] })],
    ['does not describe users', (m) => ({ ...m, collections: [{ ...m.collections[0], indexes: [{ name: 'x', key: { a: 'text' } }] }, ...m.collections.slice(1)] })],
    ['does not describe users', (m) => ({ ...m, collections: [{ ...m.collections[0], count: -1 }, ...m.collections.slice(1)] })],
  ];
  for (const [message, change] of broken) assert.throws(() => parseManifest(JSON.stringify(change(valid()))), new RegExp(message));
  assert.throws(() => parseManifest('{'), /not JSON/);
});

test('a manifest written before the schedule hints were backed up is read without them', () => {
  const older = { ...valid(), collections: valid().collections.filter((c) => c.collection !== 'schedule') };
  assert.deepEqual(parseManifest(JSON.stringify(older)).collections.map((c) => c.collection), ['users', 'tokens', 'streams', 'media', 'changes']);
});

const linesOf = async (chunks: string[], max: number) => {
  const lines: string[] = [];
  for await (const line of dumpLines(Readable.from(chunks.map((c) => Buffer.from(c))), 'x.ejson', max)) lines.push(line);
  return lines;
};

test('a dump file is read line by line across chunk boundaries, lines up to the bound included', async () => {
  assert.deepEqual(await linesOf(['ab', 'cd\nef', 'gh\n', '\nij'], 4), ['abcd', 'efgh', '', 'ij']);
});

test('a line past the bound stops the read with its line number, instead of being held in memory', async () => {
  await assert.rejects(linesOf(['ok\nfine\n', 'toolong', 'er\n'], 4), /line 3 of x\.ejson is longer than/);
  await assert.rejects(linesOf(['ok\nabcdefgh\nok\n'], 4), /line 2 of x\.ejson/);
});
