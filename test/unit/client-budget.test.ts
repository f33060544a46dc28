import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
// @ts-expect-error: a plain .mjs build script, no types
import { clientBuildOptions } from '../../scripts/build-client.mjs';

// The budget: the page's script at most 12 KB gzipped. Built in memory with the build's own
// options, so a dependency or a feature that blows it fails here rather than on a phone.
const JS_BUDGET = 12 * 1024;

test('the client script stays within 12 KB gzipped', async () => {
  const result = await build({ ...clientBuildOptions, entryPoints: clientBuildOptions.entryPoints.slice(0, 1), write: false, outdir: 'out' });
  const js = result.outputFiles?.find((file) => file.path.endsWith('.js'));
  assert.ok(js, 'the build has a script');
  const gzipped = gzipSync(js.contents, { level: 9 }).length;
  assert.ok(gzipped <= JS_BUDGET, `client JS is ${gzipped} bytes gzipped, over ${JS_BUDGET}`);
  assert.ok(gzipped > 1000, 'the bundle has the client in it');
});
