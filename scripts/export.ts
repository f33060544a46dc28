// Writes a stream as a static folder that needs no server and no JavaScript:
//   npm run export -- SLUG --out DIR
// DIR/index.html (styles inline, the same post partial as the live page, schema.org LiveBlogPosting
// JSON-LD), DIR/feed.xml (Atom) and DIR/posts.json.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { MongoChangeStore } from '../server/log/mongo-store.ts';
import { loadStreamProjection } from '../server/log/projection.ts';
import { SLUG_PATTERN } from '../server/log/records.ts';
import { Images } from '../server/media/images.ts';
import { readStylesheet, renderPost, renderView } from '../server/render/views.ts';
import { fail, withDatabase } from './tool-context.ts';

const USAGE = 'usage: npm run export -- SLUG --out DIR';
const { values, positionals } = (() => {
  try {
    return parseArgs({ allowPositionals: true, options: { out: { type: 'string' } } });
  } catch (error) {
    fail(`${(error as Error).message}\n${USAGE}`, 2);
  }
})();
const slug = positionals[0];
if (!slug || !values.out) fail(USAGE, 2);
if (!new RegExp(SLUG_PATTERN).test(slug)) fail(`"${slug}" is not a stream slug`, 2);
const outDir = path.resolve(values.out);
const progress = (message: string) => process.stderr.write(`export: ${message}\n`);

/** A one-line title for feeds: the post's first line, without Markdown marks, cut at 80 characters. */
function titleOf(body: string): string {
  const line = (body.split('\n')[0] ?? '').replace(/[*_`#>[\]]/g, '').trim();
  return line.length > 80 ? `${line.slice(0, 79)}…` : line;
}

/** JSON inside a <script> element: `<` escaped so no text can close the element. */
function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

try {
  await withDatabase(async ({ database }) => {
    progress(`reading the log of "${slug}"`);
    // The same fold the server uses, read straight from the database.
    const projection = await loadStreamProjection(new MongoChangeStore(database), slug);
    if (!projection) fail(`no stream named "${slug}"`);
    const { stream } = projection;
    // Photos are linked from the export's own media/ folder.
    const posts = projection.page(Infinity).map((version) => ({ ...version, html: renderPost(version.post, version.seq, slug, 'media/') }));
    progress(`${projection.head} changes folded into ${posts.length} posts`);

    await mkdir(outDir, { recursive: true });
    // Only the photos of posts that still exist: a deleted post's photos stay out of the export.
    const mediaIds = [...new Set(posts.flatMap(({ post }) => (post.media ?? []).map((m) => m.id)))];
    if (mediaIds.length) await mkdir(path.join(outDir, 'media'), { recursive: true });
    const images = new Images(database);
    for (const [i, id] of mediaIds.entries()) {
      const record = await images.get(id);
      if (!record) {
        progress(`photo ${id} is missing from the database; its post shows without it`);
        continue;
      }
      await writeFile(path.join(outDir, 'media', `${id}.webp`), Buffer.from(record.bytes.buffer));
      if ((i + 1) % 20 === 0 || i + 1 === mediaIds.length) progress(`copied ${i + 1}/${mediaIds.length} photos`);
    }
    const exportedAt = new Date();
    const jsonLd = jsonForScript({
      '@context': 'https://schema.org',
      '@type': 'LiveBlogPosting',
      headline: stream.title,
      description: stream.description || undefined,
      coverageStartTime: posts.at(-1)?.post.createdAt.toISOString(),
      coverageEndTime: posts[0]?.post.createdAt.toISOString(),
      liveBlogUpdate: posts.map(({ post }) => ({
        '@type': 'BlogPosting',
        headline: titleOf(post.body),
        articleBody: post.body,
        datePublished: post.createdAt.toISOString(),
        author: { '@type': 'Person', name: post.author.name },
        url: `index.html#post-${post.id}`,
      })),
    });
    const html = renderView('export', { stream, posts, stylesheet: readStylesheet(), exportedAt, jsonLd });
    await writeFile(path.join(outDir, 'index.html'), html);
    progress(`wrote ${path.join(outDir, 'index.html')}`);
    const json = {
      stream: { slug: stream._id, title: stream.title, description: stream.description, epoch: stream.epoch },
      seq: projection.head,
      exportedAt: exportedAt.toISOString(),
      posts: posts.map(({ post, seq }) => ({
        id: post.id,
        seq,
        author: post.author.name,
        body: post.body,
        pinned: post.pinned,
        createdAt: post.createdAt.toISOString(),
        editedAt: post.editedAt?.toISOString(),
        media: (post.media ?? []).map((m) => ({ ...m, file: `media/${m.id}.webp` })),
      })),
    };
    const updated = posts[0]?.post.createdAt ?? stream.createdAt;
    await writeFile(path.join(outDir, 'feed.xml'), renderView('feed', { stream, posts, updated, titleOf }));
    progress(`wrote ${path.join(outDir, 'feed.xml')}`);
    await writeFile(path.join(outDir, 'posts.json'), `${JSON.stringify(json, null, 2)}\n`);
    progress(`wrote ${path.join(outDir, 'posts.json')}`);
  });
} catch (error) {
  fail((error as Error).message);
}
