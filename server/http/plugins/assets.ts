import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import compress from '@fastify/compress';
import fastifyStatic from '@fastify/static';
import { constants } from 'node:zlib';
import { HASHED_ASSET } from '../../render/assets.ts';

/** The browser bundle and stylesheet, built by `npm run build` into dist/client. */
const ASSETS_DIR = fileURLToPath(new URL('../../../dist/client/', import.meta.url));

/** A year: the longest caches keep anything, and a hashed name never changes its bytes. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

export async function registerAssets(app: FastifyInstance): Promise<void> {
  // Pages, feeds and API answers (HTML, JSON, XML) compressed on the way out, brotli before gzip.
  // Live streams are not touched: websockets are upgraded and SSE writes to the raw response.
  // Request bodies are never decompressed (no compressed uploads, so no decompression bombs).
  await app.register(compress, {
    globalCompression: true,
    globalDecompression: false,
    encodings: ['br', 'gzip'],
    threshold: 1024,
    // Quality 5: most of brotli's gain for a page rendered on every request, at little CPU.
    brotliOptions: { params: { [constants.BROTLI_PARAM_QUALITY]: 5 } },
  });
  // Static files are compressed once at build (.br and .gz beside each) and sent as they are.
  await app.register(fastifyStatic, {
    root: ASSETS_DIR,
    prefix: '/assets/',
    decorateReply: false,
    preCompressed: true,
    cacheControl: false,
    setHeaders(res, filePath) {
      // Hashed names are immutable; anything else (the manifest, an unhashed file) is revalidated.
      res.setHeader('cache-control', HASHED_ASSET.test(filePath) ? IMMUTABLE : 'no-cache');
      // The same address answers br, gzip or plain bytes: a shared cache must key on the encoding.
      res.setHeader('vary', 'accept-encoding');
    },
  });
}
