import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';

/** The browser bundle and stylesheet, built by `npm run build` into dist/client. */
const ASSETS_DIR = fileURLToPath(new URL('../../../dist/client/', import.meta.url));

export async function registerAssets(app: FastifyInstance): Promise<void> {
  await app.register(fastifyStatic, { root: ASSETS_DIR, prefix: '/assets/', maxAge: '5m', decorateReply: false });
}
