import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { claimDataFolder, DataFolderTaken } from '../../server/db/embedded/running-record.ts';

// One embedded FerretDB per data folder: a process claims the folder atomically before starting
// one, so a server and a command-line tool starting together cannot both open the SQLite files.

const folder = () => mkdtemp(path.join(tmpdir(), 'livelog-claim-'));

test('a claim is exclusive while its process lives, and released by its holder', async () => {
  const dir = await folder();
  try {
    const release = await claimDataFolder(dir);
    assert.equal(await readFile(path.join(dir, 'ferretdb.lock'), 'utf8'), String(process.pid));
    await assert.rejects(claimDataFolder(dir), (error) => error instanceof DataFolderTaken && error.pid === process.pid);
    await release();
    const again = await claimDataFolder(dir);
    await again();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("another live process's claim is refused, naming it; a dead process's claim is taken over", async () => {
  const dir = await folder();
  const other = spawn('sleep', ['30']);
  try {
    await writeFile(path.join(dir, 'ferretdb.lock'), String(other.pid));
    await assert.rejects(claimDataFolder(dir), new RegExp(`another Livelog process \\(pid ${other.pid}\\) is starting or serving`));
    other.kill('SIGKILL');
    await new Promise((resolve) => other.once('exit', resolve));
    const release = await claimDataFolder(dir);
    assert.equal(await readFile(path.join(dir, 'ferretdb.lock'), 'utf8'), String(process.pid));
    await release();
  } finally {
    other.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
});
