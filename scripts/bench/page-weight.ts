// What a reader downloads: the first page of a 1,000-post stream (brotli and gzip) and the page's
// script and stylesheet as served, against the budgets (15 KB page, 12 KB script gzipped).
//   npm run build && npx tsx scripts/bench/page-weight.ts [--posts 1000] [--write]
// --write puts the figures into BENCHMARKS.md, between the page-weight markers.
import { request } from 'node:http';
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { assetName } from '../../server/render/assets.ts';
import { machine, progress, setUp, startInstance } from './harness.ts';
import { seedPosts } from './seed-posts.ts';

const { values } = parseArgs({ options: { posts: { type: 'string', default: '1000' }, port: { type: 'string', default: '3410' }, write: { type: 'boolean', default: false } } });
const posts = Number(values.posts);
const PAGE_BUDGET = 15 * 1024;
const JS_BUDGET = 12 * 1024;

/** Bytes on the wire for a path with one Accept-Encoding (fetch would decompress them for us). */
function wireBytes(base: string, path: string, encoding: string): Promise<{ bytes: number; encoding: string }> {
  return new Promise((resolve, reject) => {
    request(`http://${base}${path}`, { headers: { 'accept-encoding': encoding } }, (response) => {
      let bytes = 0;
      response.on('data', (chunk: Buffer) => (bytes += chunk.length));
      response.on('end', () => resolve({ bytes, encoding: String(response.headers['content-encoding'] ?? 'identity') }));
    })
      .on('error', reject)
      .end();
  });
}

const setup = await setUp();
try {
  progress(`seeding ${posts} posts`);
  await seedPosts(setup.mongodbUrl, setup.slug, posts);
  const instance = await startInstance(Number(values.port), { MONGODB_URL: setup.mongodbUrl });
  try {
    const rows: [string, string, number][] = [];
    for (const [label, path] of [
      [`first page of ${posts} posts`, `/s/${setup.slug}`],
      ['client JS', `/assets/${assetName('live.js')}`],
      ['stylesheet', `/assets/${assetName('livelog.css')}`],
    ] as const) {
      for (const encoding of ['identity', 'gzip', 'br']) {
        const { bytes, encoding: sent } = await wireBytes(instance.base, path, encoding);
        rows.push([label, sent, bytes]);
      }
    }
    const page = rows.filter(([label]) => label.startsWith('first page'));
    const jsGzip = rows.find(([label, encoding]) => label === 'client JS' && encoding === 'gzip')![2];
    const pageWorst = Math.max(...page.filter(([, e]) => e !== 'identity').map(([, , b]) => b));
    const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
    const table = [
      `${new Date().toISOString().slice(0, 10)}, ${machine()}: \`npm run build && npx tsx scripts/bench/page-weight.ts --posts ${posts} --write\``,
      '',
      '| what | encoding | bytes on the wire |',
      '| --- | --- | ---: |',
      ...rows.map(([label, encoding, bytes]) => `| ${label} | ${encoding} | ${bytes.toLocaleString('en')} (${kb(bytes)}) |`),
      '',
      `Budgets: first page compressed ${kb(pageWorst)} of ${kb(PAGE_BUDGET)} (${pageWorst <= PAGE_BUDGET ? 'within' : 'OVER'}), ` +
        `client JS gzipped ${kb(jsGzip)} of ${kb(JS_BUDGET)} (${jsGzip <= JS_BUDGET ? 'within' : 'OVER'}).`,
    ].join('\n');
    console.log(table);
    if (values.write) {
      const file = new URL('../../BENCHMARKS.md', import.meta.url);
      const text = await readFile(file, 'utf8');
      const updated = text.replace(/(<!-- page-weight -->\n)[\s\S]*?(<!-- \/page-weight -->)/, `$1${table}\n$2`);
      if (updated === text) throw new Error('BENCHMARKS.md has no page-weight markers');
      await writeFile(file, updated);
      progress('wrote BENCHMARKS.md');
    }
  } finally {
    await instance.stop();
  }
} finally {
  await setup.cleanup();
}
