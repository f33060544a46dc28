import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pino from 'pino';
import { MongoClient } from 'mongodb';
import { startEmbeddedDatabase } from '../server/db/embedded.ts';
import { MAX_SOCKET_PATH_BYTES } from '../server/db/embedded/data-folder.ts';
import { startServerProcess } from './fixtures/server-process.ts';

// The embedded FerretDB has no passwords, so it must be Livelog's alone: no TCP port, a socket and
// files that only Livelog's user can open, even where the data folder's path is long.

const logger = pino({ level: 'silent' });
const folders: string[] = [];
after(() => Promise.all(folders.map((f) => rm(f, { recursive: true, force: true }))));

async function scratch(prefix: string): Promise<string> {
  const folder = await mkdtemp(path.join(tmpdir(), prefix));
  folders.push(folder);
  return folder;
}

/** Every entry under `root` whose mode lets anyone but the owner in: folders must be 0700, files 0600. */
async function looseEntries(root: string): Promise<string[]> {
  const loose: string[] = [];
  const walk = async (entry: string) => {
    const stats = await lstat(entry);
    const mode = stats.mode & 0o777;
    if (stats.isDirectory()) {
      if (mode !== 0o700) loose.push(`${entry} ${mode.toString(8)}`);
      for (const name of await readdir(entry)) await walk(path.join(entry, name));
    } else if (stats.isSocket()) {
      if (mode & 0o077) loose.push(`${entry} ${mode.toString(8)}`);
    } else if (mode !== 0o600) {
      loose.push(`${entry} ${mode.toString(8)}`);
    }
  };
  await walk(root);
  return loose;
}

/** The socket inodes a process holds open. */
async function socketInodes(pid: number): Promise<Set<string>> {
  const inodes = new Set<string>();
  for (const fd of await readdir(`/proc/${pid}/fd`)) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    const match = /^socket:\[(\d+)\]$/.exec(target);
    if (match) inodes.add(match[1]!);
  }
  return inodes;
}

/** Inodes of the TCP sockets in /proc/net/tcp and tcp6 (column 10). */
async function tcpInodes(): Promise<Set<string>> {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await readFile(table, 'utf8').catch(() => '');
    for (const line of text.trim().split('\n').slice(1)) inodes.add(line.trim().split(/\s+/)[9]!);
  }
  return inodes;
}

test('the embedded database listens on a socket in the data folder and on no TCP port, and its folder and files are private', { skip: process.platform !== 'linux' && 'reads /proc' }, async () => {
  const dataDir = await scratch('livelog-private-');
  // As an older version or a careless umask left it: readable by everyone.
  await chmod(dataDir, 0o755);
  await mkdir(path.join(dataDir, 'ferretdb'), { mode: 0o755 });
  await writeFile(path.join(dataDir, 'ferretdb', 'notes.txt'), '', { mode: 0o644 });
  await chmod(path.join(dataDir, 'ferretdb'), 0o755);
  await chmod(path.join(dataDir, 'ferretdb', 'notes.txt'), 0o644);

  const db = await startEmbeddedDatabase({ dataDir, logger });
  try {
    assert.equal(db.socketPath, path.join(dataDir, 'db.sock'));
    assert.equal(db.url, `mongodb://${encodeURIComponent(db.socketPath)}/`);
    const client = new MongoClient(db.url);
    await client.db('livelog').collection('users').insertOne({ name: 'someone' });
    await client.close().catch(() => {});

    const { ferretdbPid } = JSON.parse(await readFile(path.join(dataDir, 'ferretdb.json'), 'utf8'));
    const args = (await readFile(`/proc/${ferretdbPid}/cmdline`, 'utf8')).split('\0');
    assert.ok(args.includes('--listen-addr='), `TCP listener not turned off: ${args.join(' ')}`);
    const held = await socketInodes(ferretdbPid);
    assert.ok(held.size > 0);
    const tcp = await tcpInodes();
    assert.deepEqual([...held].filter((inode) => tcp.has(inode)), [], 'FerretDB holds a TCP socket');
    const unix = await readFile('/proc/net/unix', 'utf8');
    assert.ok(unix.split('\n').some((line) => line.endsWith(` ${db.socketPath}`) && held.has(line.trim().split(/\s+/)[6]!)), 'FerretDB listens on DATA/db.sock');

    assert.deepEqual(await looseEntries(dataDir), []);
    const sqlite = await readdir(path.join(dataDir, 'ferretdb'));
    assert.ok(sqlite.some((name) => name.startsWith('livelog.sqlite')), `SQLite files: ${sqlite.join(', ')}`);
  } finally {
    await db.stop();
  }
});

test('with a data folder too deep for a socket path, the socket lives in a private folder of its own and the database still works', async () => {
  let dataDir = await scratch('livelog-deep-');
  while (Buffer.byteLength(path.join(dataDir, 'db.sock')) <= MAX_SOCKET_PATH_BYTES) dataDir = path.join(dataDir, 'a-folder-deep-down');
  const db = await startEmbeddedDatabase({ dataDir, logger });
  let socketDir: string;
  try {
    socketDir = path.dirname(db.socketPath);
    assert.ok(!db.socketPath.startsWith(dataDir));
    assert.ok(Buffer.byteLength(db.socketPath) <= MAX_SOCKET_PATH_BYTES);
    assert.equal((await stat(socketDir)).mode & 0o777, 0o700);
    assert.deepEqual(await looseEntries(socketDir), []);
    const record = JSON.parse(await readFile(path.join(dataDir, 'ferretdb.json'), 'utf8'));
    assert.equal(record.socketPath, db.socketPath);
    assert.equal(record.url, db.url);
    const client = new MongoClient(db.url);
    assert.deepEqual(await client.db('admin').command({ ping: 1 }), { ok: 1 });
    await client.close().catch(() => {});
    assert.deepEqual(await looseEntries(dataDir), []);
  } finally {
    await db.stop();
  }
  await assert.rejects(stat(socketDir), 'the socket folder is removed with the database');
});

// The command-line tools on a data folder as deep: they must find the running server's socket.
test("the admin CLI uses the running server's embedded database (found through ferretdb.json), says so on stderr, and keeps stdout for its output", { timeout: 120_000 }, async () => {
  let dataDir = await scratch('livelog-cli-');
  while (Buffer.byteLength(path.join(dataDir, 'db.sock')) <= MAX_SOCKET_PATH_BYTES) dataDir = path.join(dataDir, 'a-folder-deep-down');
  const env: NodeJS.ProcessEnv = { ...process.env, LIVELOG_DATA: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn' };
  delete env.MONGODB_URL;
  const run = (args: string[], extra: NodeJS.ProcessEnv = {}) =>
    promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/livelog.ts', ...args], { env: { ...env, ...extra } });

  // No server yet: the tool starts a FerretDB of its own on the folder, and stops it after.
  const alone = await run(['user', 'add', 'early', '--password', 'a long enough password', '--admin']);
  assert.match(alone.stderr, /^livelog: using an embedded FerretDB of its own on the files in \S+a-folder-deep-down$/m);
  assert.equal(alone.stdout, 'user "early" added (admin)\n');

  const server = await startServerProcess({ env });
  try {
    const base = server.url;
    const { stdout, stderr } = await run(['token', 'create', 'early']);
    assert.match(stderr, /^livelog: using the embedded FerretDB of the Livelog server running on \S+a-folder-deep-down$/m);
    assert.match(stdout, /^\S+\n$/, 'stdout is the token alone');
    const published = await fetch(`${base}api/streams/welcome/posts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stdout.trim()}`, 'content-type': 'application/json' },
      body: JSON.stringify({ body: 'the token works' }),
    });
    assert.equal(published.status, 201, 'the server knows the token the tool created');
  } finally {
    await server.stop();
  }

  const viaUrl = await run(['token', 'list'], { MONGODB_URL: process.env.MONGODB_URL });
  assert.match(viaUrl.stderr, /^livelog: using MONGODB_URL \(.+\)$/m);
  // A URL's password never shows, not even when the database cannot be reached.
  const unreachable = await run(['token', 'list'], { MONGODB_URL: 'mongodb://someone:secret@127.0.0.1:1/?serverSelectionTimeoutMS=300' }).catch((error) => error);
  assert.equal(unreachable.code, 1);
  assert.match(unreachable.stderr, /^livelog: cannot reach MONGODB_URL \(127\.0\.0\.1:1\): /m);
  assert.doesNotMatch(unreachable.stderr, /secret/);
});
