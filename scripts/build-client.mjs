// Bundles the browser script and copies the stylesheet into dist/client, served under /assets/.
import { build } from 'esbuild';
import { copyFile, mkdir, rm } from 'node:fs/promises';

const out = new URL('../dist/client/', import.meta.url);
await mkdir(out, { recursive: true });
// A map left by an older build would still be served.
await rm(new URL('live.js.map', out), { force: true });
await build({
  entryPoints: [new URL('../client/live.ts', import.meta.url).pathname],
  outfile: new URL('live.js', out).pathname,
  bundle: true,
  format: 'esm',
  target: ['es2020'],
  minify: true,
  // No source map: dist/client is served as it is, and the readable source is in the repository.
  sourcemap: false,
  logLevel: 'warning',
});
// The host page's side of the embed snippet: a classic script (it finds its own origin through
// document.currentScript), loaded by other sites.
await build({
  entryPoints: [new URL('../client/embed-host.ts', import.meta.url).pathname],
  outfile: new URL('embed.js', out).pathname,
  bundle: true,
  format: 'iife',
  target: ['es2020'],
  minify: true,
  sourcemap: false,
  logLevel: 'warning',
});
await copyFile(new URL('../client/livelog.css', import.meta.url), new URL('livelog.css', out));
console.log('client built into dist/client');
