import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFile, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pino from 'pino';
import sharp from 'sharp';
import { buildApp } from '../server/app.ts';
import { Tokens } from '../server/auth/tokens.ts';
import { Users } from '../server/auth/users.ts';
import { loadConfig } from '../server/config.ts';
import { connectDatabase } from '../server/db/database.ts';
import { loggedIn } from './browser.ts';
import { AUTHOR_PASSWORD, databaseUrl, testApp, type TestApp } from './helpers.ts';

// A backup made by the command line, the database wiped, the backup restored: a server on the
// restored database serves the same posts and photo bytes, and old tokens and passwords still work.

const run = promisify(execFile);
let t: TestApp;
let folder: string;
let adminToken: string;

/** Runs the command-line tool against the test database; resolves to its exit code and output. */
async function livelog(...args: string[]) {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'scripts/livelog.ts', ...args], {
      env: { ...process.env, MONGODB_URL: databaseUrl(), LIVELOG_DB: t.database.db.databaseName },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

async function api(base: string, method: string, url: string, token: string, body?: unknown) {
  const init: RequestInit = { method, headers: { authorization: `Bearer ${token}` } };
  if (body instanceof FormData) init.body = body;
  else if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { ...init.headers, 'content-type': 'application/json' };
  }
  const response = await fetch(`${base}${url}`, init);
  assert.ok(response.ok, `${method} ${url}: ${response.status} ${await response.clone().text()}`);
  return response.json();
}

const listen = async (app: TestApp['app']) => {
  await app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
};
const allPosts = async (base: string) => (await (await fetch(`${base}/api/streams/${t.slug}/posts?limit=100`)).json()) as { epoch: string; posts: { media?: { url: string }[] }[] };

before(async () => {
  t = await testApp();
  folder = await mkdtemp(path.join(tmpdir(), 'livelog-backup-test-'));
  const chief = await new Users(t.database).add('chief', 'another long password', true);
  adminToken = await new Tokens(t.database).create(chief, 'admin');
});
after(async () => {
  await t.close();
  await rm(folder, { recursive: true, force: true });
});

async function until(check: () => Promise<boolean>, ms = 15_000): Promise<void> {
  for (const deadline = Date.now() + ms; !(await check()); await new Promise((r) => setTimeout(r, 50))) {
    if (Date.now() > deadline) throw new Error('timed out');
  }
}

/** A copy of `dump` as a backup written before `schedule` was in one: without its file and manifest entry. */
async function withoutSchedule(dump: string, copy: string) {
  await run('cp', ['-r', dump, copy]);
  await rm(path.join(copy, 'schedule.ejson'));
  const manifest = JSON.parse(await readFile(path.join(copy, 'manifest.json'), 'utf8'));
  manifest.collections = manifest.collections.filter((entry: { collection: string }) => entry.collection !== 'schedule');
  await writeFile(path.join(copy, 'manifest.json'), JSON.stringify(manifest));
}

test('backup, wipe, restore: the same posts, photo bytes, tokens and passwords, a scheduled post still published; a tampered file or a non-empty database is refused', async () => {
  const base = await listen(t.app);
  const stream = `/api/streams/${t.slug}/posts`;
  const first = await api(base, 'POST', stream, t.token, { body: 'Doors open, **7pm** \u2028 "quoted" & <b>' });
  const form = new FormData();
  form.append('body', 'The stage');
  form.append('photo', new Blob([new Uint8Array(await sharp({ create: { width: 40, height: 30, channels: 3, background: 'red' } }).png().toBuffer())]), 'stage.png');
  form.append('alt', 'A red stage');
  await api(base, 'POST', stream, t.token, form);
  const third = await api(base, 'POST', stream, t.token, { body: 'Kick-off', headline: 'We are live' });
  const doomed = await api(base, 'POST', stream, t.token, { body: 'A mistake' });
  await api(base, 'PATCH', `${stream}/${first.id}`, t.token, { body: 'Doors open at 7pm sharp' });
  await api(base, 'PATCH', `${stream}/${first.id}`, t.token, { pinned: true });
  await api(base, 'PATCH', `${stream}/${third.id}`, t.token, { key: true });
  await api(base, 'DELETE', `${stream}/${doomed.id}`, t.token);
  await api(base, 'POST', `${stream}/${first.id}/purge`, adminToken);
  const before = await allPosts(base);
  const photoUrl = before.posts.flatMap((p) => p.media ?? [])[0]!.url;
  const photo = Buffer.from(await (await fetch(`${base}${photoUrl}`)).arrayBuffer());
  // Due after this server has closed and before the restored one starts: only the restored
  // server's scheduler can publish it, and it finds the post only through its hint.
  const scheduled = await api(base, 'POST', stream, t.token, { body: 'Embargoed results', publishAt: new Date(Date.now() + 2000).toISOString() });
  await t.app.close();

  const dump = path.join(folder, 'dump');
  const made = await livelog('backup', dump);
  assert.equal(made.code, 0, made.stderr);
  assert.match(made.stderr, /livelog: using MONGODB_URL/);
  assert.match(made.stderr, /backup: changes: \d+ written/);
  assert.match(made.stdout, /backup written to .*: 2 users, 2 tokens, 1 streams, 1 media, \d+ changes, 1 schedule/);
  assert.deepEqual((await readdir(dump)).sort(), ['changes.ejson', 'manifest.json', 'media.ejson', 'schedule.ejson', 'streams.ejson', 'tokens.ejson', 'users.ejson']);
  assert.deepEqual(await readdir(folder), ['dump'], 'no partial folder left behind');
  assert.match((await livelog('backup', dump)).stderr, /exists and is not empty/);
  const emptyTarget = await mkdtemp(path.join(folder, 'empty-'));
  await symlink(emptyTarget, path.join(folder, 'link'));
  assert.match((await livelog('backup', path.join(folder, 'link'))).stderr, /is a symbolic link/);

  const { epoch: oldEpoch } = (await t.database.collection<{ _id: string; epoch: string }>('streams').findOne({ _id: t.slug }))!;
  const head = Math.max(...before.posts.map((p) => (p as { seq: number }).seq));
  await t.database.db.dropDatabase();
  const tampered = path.join(folder, 'tampered');
  await run('cp', ['-r', dump, tampered]);
  await appendFile(path.join(tampered, 'users.ejson'), '{"_id":"intruder"}\n');
  const refused = await livelog('restore', tampered);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /users\.ejson does not match its checksum in manifest\.json.*nothing was restored/);
  assert.deepEqual(await t.database.db.listCollections().toArray(), [], 'nothing restored');

  const restored = await livelog('restore', dump);
  assert.equal(restored.code, 0, restored.stderr);
  assert.match(restored.stderr, /restore: checked 6 files/);
  assert.doesNotMatch(restored.stderr, /hint\(s\) added/, 'the hint came with the dump');
  assert.equal(await t.database.collection('schedule').countDocuments({ postId: scheduled.id }), 1);
  const again = await livelog('restore', dump);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /is not empty \(.*2 users.*\); restore into an empty one, or pass --force/);
  // A dump whose checksums agree but which cannot load (a repeated _id) is refused before --force
  // drops anything: the database keeps what it had.
  const doubled = path.join(folder, 'doubled');
  await run('cp', ['-r', dump, doubled]);
  const changesFile = path.join(doubled, 'changes.ejson');
  const changes = await readFile(changesFile, 'utf8');
  await writeFile(changesFile, changes.slice(0, changes.indexOf('\n') + 1) + changes);
  const manifest = JSON.parse(await readFile(path.join(doubled, 'manifest.json'), 'utf8'));
  const changesEntry = manifest.collections.find((entry: { collection: string }) => entry.collection === 'changes');
  const doubledBytes = await readFile(changesFile);
  Object.assign(changesEntry, { count: changesEntry.count + 1, bytes: doubledBytes.length, sha256: createHash('sha256').update(doubledBytes).digest('hex') });
  await writeFile(path.join(doubled, 'manifest.json'), JSON.stringify(manifest));
  const unloadable = await livelog('restore', doubled, '--force');
  assert.equal(unloadable.code, 1);
  assert.match(unloadable.stderr, /changes\.ejson line \d+ repeats the _id .*nothing was restored/);
  assert.equal(await t.database.collection('users').countDocuments(), 2, 'the refused restore dropped nothing');

  // A backup from before `schedule` was dumped: the restore makes the hint from the log.
  const older = path.join(folder, 'older');
  await withoutSchedule(dump, older);
  const forced = await livelog('restore', older, '--force');
  assert.equal(forced.code, 0, forced.stderr);
  assert.match(forced.stderr, /restore: dropped users, tokens, streams, media, changes, schedule, sessions \(--force\)/);
  assert.match(forced.stderr, /restore: schedule: 1 hint\(s\) added for schedulings in the log/);
  const indexes = await t.database.collection('changes').indexes();
  assert.ok(indexes.some((index) => index.name === 'stream_key' && index.unique), 'the idempotency index is there before serving');

  const database = await connectDatabase(databaseUrl(), t.database.db.databaseName);
  const config = loadConfig({ MONGODB_URL: databaseUrl(), LIVELOG_DB: t.database.db.databaseName, LOG_LEVEL: 'silent', LIVELOG_CHANGES_PER_MINUTE: '100000' });
  const app = await buildApp({ config, database, logger: pino({ level: 'silent' }) });
  try {
    const restoredBase = await listen(app);
    await until(async () => (await allPosts(restoredBase)).posts.some((p) => (p as { id: string }).id === scheduled.id));
    // The head (`seq`) has moved on by the scheduling and its publication.
    const { epoch: _restoredEpoch, seq: _restoredHead, ...restoredPosts } = (await allPosts(restoredBase)) as Awaited<ReturnType<typeof allPosts>> & { seq: number };
    restoredPosts.posts = restoredPosts.posts.filter((p) => (p as { id: string }).id !== scheduled.id);
    const { epoch: _oldEpoch, seq: _oldHead, ...postsBefore } = before as typeof before & { seq: number };
    assert.deepEqual(restoredPosts, postsBefore);
    // A new history: a resume point taken before the restore replays everything rather than
    // skipping the seqs the restored stream will reuse.
    const { epoch: newEpoch } = (await t.database.collection<{ _id: string; epoch: string }>('streams').findOne({ _id: t.slug }))!;
    assert.notEqual(newEpoch, oldEpoch);
    const resumed = (await (await fetch(`${restoredBase}/api/streams/${t.slug}/posts?since=${oldEpoch}.${head}&limit=100`)).json()) as { posts: unknown[] };
    assert.equal(resumed.posts.length, before.posts.length + 1);
    assert.deepEqual(Buffer.from(await (await fetch(`${restoredBase}${photoUrl}`)).arrayBuffer()), photo);
    const [last] = await t.database.collection<{ seq: number }>('changes').find({ stream: t.slug }).sort({ seq: -1 }).limit(1).toArray();
    const published = await api(restoredBase, 'POST', stream, t.token, { body: 'After the restore' });
    assert.equal(published.seq, last!.seq + 1);
    await loggedIn(app, 'reporter', AUTHOR_PASSWORD);
  } finally {
    await app.close();
    await database.close();
  }
});
