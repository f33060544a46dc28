// Bundles the browser script and the stylesheet into dist/client, served under /assets/: names
// carry a content hash (cached for a year), dist/client/manifest.json maps source names to them,
// and each file has .br and .gz twins beside it, compressed once here rather than on every request.
import { build } from 'esbuild';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const root = fileURLToPath(new URL('..', import.meta.url));

/** esbuild's options for the client: the test that pins the JS budget builds with the same ones. */
export const clientBuildOptions = {
  entryPoints: [path.join(root, 'client/live.ts'), path.join(root, 'client/livelog.css')],
  entryNames: '[name]-[hash]',
  bundle: true,
  format: 'esm',
  target: ['es2020'],
  minify: true,
  // No source map: dist/client is served as it is, and the readable source is in the repository.
  sourcemap: false,
  logLevel: 'warning',
};

/** The embed's host-side script, served unhashed at /assets/embed.js. */
export const EMBED_HOST = 'embed.js';
const embedHostBuildOptions = {
  entryPoints: [path.join(root, 'client/embed-host.ts')],
  bundle: true,
  format: 'iife',
  target: ['es2020'],
  minify: true,
  sourcemap: false,
  logLevel: 'warning',
};

async function compressBeside(file) {
  const bytes = await readFile(file);
  await writeFile(`${file}.br`, brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }));
  await writeFile(`${file}.gz`, gzipSync(bytes, { level: 9 }));
}

export async function buildClient(outDir = path.join(root, 'dist/client')) {
  // Old hashed files would pile up (and a stale map would be served): start from an empty folder.
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  const result = await build({ ...clientBuildOptions, outdir: outDir, metafile: true });
  const manifest = {};
  for (const [output, { entryPoint }] of Object.entries(result.metafile.outputs)) {
    if (!entryPoint) continue;
    const file = path.resolve(output);
    manifest[path.basename(entryPoint).replace(/\.ts$/, '.js')] = path.basename(file);
    await compressBeside(file);
  }
  // The host page's side of the embed snippet keeps one address (other sites paste it), so no hash:
  // a classic script that finds its own origin through document.currentScript.
  await build({ ...embedHostBuildOptions, outfile: path.join(outDir, EMBED_HOST) });
  await compressBeside(path.join(outDir, EMBED_HOST));
  await writeFile(path.join(outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const manifest = await buildClient();
  console.log(`client built into dist/client: ${Object.values(manifest).join(', ')}`);
}
