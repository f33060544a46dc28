import type { FastifyInstance } from 'fastify';
import helmet from '@fastify/helmet';
import formbody from '@fastify/formbody';
import rateLimit from '@fastify/rate-limit';
import multipart from '@fastify/multipart';
import { PhotosNotAccepted, UploadTooLarge } from '../../errors.ts';
import { MAX_PHOTOS_PER_POST, MAX_UPLOAD_BYTES } from '../../media/images.ts';
import { changeBudgetStore } from '../../workers/shared-limits.ts';

/** All the photos of one request together. Less than four full-size ones (a phone photo is a few
 *  MB), so that LIVELOG_MAX_UPLOADS slots times this is what uploads can hold in memory at worst. */
const MAX_REQUEST_UPLOAD_BYTES = 25 * 1024 * 1024;

declare module 'fastify' {
  interface FastifyRequest {
    uploadedBytes?: number;
  }
  interface FastifyContextConfig {
    /** The route takes photos: multipart bodies, read only once an upload slot is held. */
    photos?: boolean;
  }
}

/** Where the snippet's host-side script is served (scripts/build-client.mjs builds it). */
export const EMBED_HOST_SCRIPT = '/assets/embed.js';

const DIRECTIVES = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'self'"],
};

/**
 * The headers of the one page other sites may frame (the embed): the same policy, but framed by
 * the origins LIVELOG_EMBED_ORIGINS names (space-separated, or *), and no X-Frame-Options (it
 * cannot list origins; frame-ancestors is what browsers follow).
 */
export function embeddable(origins: string) {
  return {
    frameguard: false as const,
    contentSecurityPolicy: { useDefaults: false, directives: { ...DIRECTIVES, frameAncestors: origins.trim().split(/\s+/) } },
  };
}

export async function registerSecurity(app: FastifyInstance): Promise<void> {
  await app.register(helmet, {
    contentSecurityPolicy: { useDefaults: false, directives: DIRECTIVES },
    // Livelog is often run on plain http at a venue: do not force https on its own assets.
    strictTransportSecurity: false,
  });
  // The embed snippet's host script runs on other sites' pages: it may be loaded across origins.
  app.addHook('onSend', async (request, reply) => {
    if (request.url.split('?')[0] === EMBED_HOST_SCRIPT) reply.header('cross-origin-resource-policy', 'cross-origin');
  });
  await app.register(formbody, { bodyLimit: 64 * 1024 });
  // Photos arrive as multipart (the author's form and the API). Fields land on request.body, files
  // as Buffers, so routes validate one body whichever way it came. Every part is bounded, and so is
  // their sum: a request stops being read once its files pass the total. Routes that take photos
  // hold an upload slot (plugins/changes.ts), so memory is bounded by slots times this total.
  // Anywhere else a multipart body would be parsed (its files read into memory) before the route's
  // own checks could refuse it, and without an upload slot: refused before it is read.
  app.addHook('onRequest', async (request, reply) => {
    if (!request.headers['content-type']?.toLowerCase().includes('multipart/') || request.routeOptions.config?.photos) return;
    reply.header('connection', 'close');
    throw new PhotosNotAccepted();
  });
  // Every refusal before the body is read closes the connection (Fastify's by declared length, the
  // one above, the change guards'): right for a client, which would go on sending. Not for a trusted
  // reverse proxy: it has the body whole and is writing it, and a close under that write turns the
  // refusal into its 502 (seen with nginx). Node reads and discards the rest; the connection stays.
  const { trustProxy } = app.livelog;
  app.addHook('onSend', async (request, reply) => {
    if (reply.statusCode >= 400 && reply.getHeader('connection') === 'close' && trustProxy(request.socket.remoteAddress ?? '', 0)) {
      reply.removeHeader('connection');
    }
  });
  await app.register(multipart, {
    attachFieldsToBody: 'keyValues',
    limits: { fileSize: MAX_UPLOAD_BYTES, files: MAX_PHOTOS_PER_POST, fields: 20, fieldSize: 64 * 1024, parts: 30 },
    async onFile(part) {
      const bytes = await part.toBuffer();
      this.uploadedBytes = (this.uploadedBytes ?? 0) + bytes.length;
      if (this.uploadedBytes > MAX_REQUEST_UPLOAD_BYTES) throw new UploadTooLarge(MAX_REQUEST_UPLOAD_BYTES >> 20);
    },
  });
  // Only changes are limited (one budget per user, plugins/changes.ts): reading is never limited.
  // The workers of a LIVELOG_WORKERS group count in their primary, so the budget is the group's.
  await app.register(rateLimit, { global: false, store: changeBudgetStore() });
}
