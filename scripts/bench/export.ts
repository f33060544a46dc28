// How long the export of a big stream takes, and that it is the same bytes twice:
//   npx tsx scripts/bench/export.ts [--posts 10000] [--write]
// --write puts the figures into BENCHMARKS.md, between the export markers.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { machine, progress, setUp } from './harness.ts';
import { seedPosts } from './seed-posts.ts';

const { values } = parseArgs({ options: { posts: { type: 'string', default: '10000' }, write: { type: 'boolean', default: false } } });
const posts = Number(values.posts);
const run = promisify(execFile);
const FILES = ['index.html', 'feed.xml', 'feed.json', 'posts.json'];

const setup = await setUp();
const out = await mkdtemp(path.join(tmpdir(), 'livelog-bench-export-'));
try {
  progress(`seeding ${posts} posts`);
  await seedPosts(setup.mongodbUrl, setup.slug, posts);
  const timings: number[] = [];
  const phases: string[] = [];
  for (const name of ['a', 'b']) {
    const started = performance.now();
    const { stderr } = await run(process.execPath, ['--import', 'tsx', 'scripts/export.ts', setup.slug, '--out', path.join(out, name)], {
      env: { ...process.env, MONGODB_URL: setup.mongodbUrl, LIVELOG_DB: 'livelog' },
      maxBuffer: 16 * 1024 * 1024,
    });
    timings.push(performance.now() - started);
    if (name === 'a') progress(`export said:\n${stderr.trim()}`);
    // The export's own progress lines carry the seconds since its start: reading vs rendering.
    const at = (pattern: RegExp) => pattern.exec(stderr)?.[1] ?? '?';
    phases.push(`log read and folded at ${at(/folded into \d+ posts \(([\d.]+) s\)/)} s, all files written at ${at(/wrote \S*posts\.json \(([\d.]+) s\)/)} s`);
  }
  const sizes: string[] = [];
  let identical = true;
  for (const file of FILES) {
    const [a, b] = await Promise.all([readFile(path.join(out, 'a', file)), readFile(path.join(out, 'b', file))]);
    identical &&= a.equals(b);
    sizes.push(`${file} ${((await stat(path.join(out, 'a', file))).size / 2 ** 20).toFixed(1)} MB`);
  }
  const seconds = timings.map((ms) => `${(ms / 1000).toFixed(1)} s`).join(' and ');
  const text = [
    `${new Date().toISOString().slice(0, 10)}, ${machine()}: \`npx tsx scripts/bench/export.ts --posts ${posts} --write\``,
    '',
    `${posts.toLocaleString('en')} posts exported twice in ${seconds} (the whole command: start, reading the log, rendering, writing), ` +
      `${identical ? 'byte-identical' : 'NOT identical'} both times. Inside the command: ${phases.join('; then ')}. ` +
      `Sizes: ${sizes.join(', ')}. Load average when done: ${loadavg()[0]!.toFixed(1)} (the machine's other users).`,
  ].join('\n');
  console.log(text);
  if (values.write) {
    const file = new URL('../../BENCHMARKS.md', import.meta.url);
    const current = await readFile(file, 'utf8');
    const updated = current.replace(/(<!-- export -->\n)[\s\S]*?(<!-- \/export -->)/, `$1${text}\n$2`);
    if (updated === current) throw new Error('BENCHMARKS.md has no export markers');
    await writeFile(file, updated);
    progress('wrote BENCHMARKS.md');
  }
  if (!identical) process.exitCode = 1;
} finally {
  await rm(out, { recursive: true, force: true });
  await setup.cleanup();
}
