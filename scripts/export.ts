// Writes a stream as a static folder that needs no server and no JavaScript:
//   npm run export -- SLUG --out DIR
// DIR/index.html (styles inline, the same post partial as the live page, schema.org LiveBlogPosting
// JSON-LD, key moments and #post-ID permalinks), DIR/feed.xml (Atom), DIR/feed.json (JSON Feed),
// DIR/posts.json and DIR/media/. The same stream always exports the same bytes.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { MongoChangeStore } from '../server/log/mongo-store.ts';
import { loadStreamProjection } from '../server/log/projection.ts';
import { SLUG_PATTERN } from '../server/log/records.ts';
import { Images } from '../server/media/images.ts';
import { exportFiles } from '../server/render/export-page.ts';
import { fail, withDatabase } from './tool-context.ts';

const USAGE = 'usage: npm run export -- SLUG --out DIR [--base-url https://example.org/where/it/will/be/]';
const { values, positionals } = (() => {
  try {
    return parseArgs({ allowPositionals: true, options: { out: { type: 'string' }, 'base-url': { type: 'string' } } });
  } catch (error) {
    fail(`${(error as Error).message}\n${USAGE}`, 2);
  }
})();
const slug = positionals[0];
if (!slug || !values.out) fail(USAGE, 2);
if (!new RegExp(SLUG_PATTERN).test(slug)) fail(`"${slug}" is not a stream slug`, 2);
const outDir = path.resolve(values.out);
const baseUrl = values['base-url'];
if (baseUrl !== undefined && !/^https?:\/\/[^\s"<>]+$/.test(baseUrl)) fail(`--base-url must be an http(s) address, not "${baseUrl}"`, 2);
const started = performance.now();
/** Progress on stderr, with the seconds since the start: the files themselves never carry a time. */
const progress = (message: string) => process.stderr.write(`export: ${message} (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);

try {
  await withDatabase(async ({ database }) => {
    progress(`reading the log of "${slug}"`);
    // The same fold the server uses, read straight from the database.
    const projection = await loadStreamProjection(new MongoChangeStore(database), slug);
    if (!projection) fail(`no stream named "${slug}"`);
    progress(`${projection.head} changes folded into ${projection.postCount} posts`);
    const files = exportFiles(projection, { onProgress: (rendered, total) => progress(`rendered ${rendered}/${total} posts`), baseUrl });

    await mkdir(outDir, { recursive: true });
    // Only the photos of posts that still exist: a deleted post's photos stay out of the export.
    if (files.mediaIds.length) await mkdir(path.join(outDir, 'media'), { recursive: true });
    const images = new Images(database);
    for (const [i, id] of files.mediaIds.entries()) {
      const record = await images.get(id);
      if (!record) {
        progress(`photo ${id} is missing from the database; its post shows without it`);
        continue;
      }
      await writeFile(path.join(outDir, 'media', `${id}.webp`), Buffer.from(record.bytes.buffer));
      if ((i + 1) % 20 === 0 || i + 1 === files.mediaIds.length) progress(`copied ${i + 1}/${files.mediaIds.length} photos`);
    }
    const written: [string, string][] = [
      ['index.html', files.html],
      ['feed.xml', files.atom],
      ['feed.json', files.json],
      ['posts.json', `${JSON.stringify(files.posts, null, 2)}\n`],
    ];
    for (const [name, text] of written) {
      await writeFile(path.join(outDir, name), text);
      progress(`wrote ${path.join(outDir, name)}`);
    }
  });
} catch (error) {
  fail((error as Error).message);
}
