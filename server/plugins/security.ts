import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import helmet from '@fastify/helmet';
import formbody from '@fastify/formbody';
import rateLimit from '@fastify/rate-limit';
import multipart from '@fastify/multipart';
import { MAX_PHOTOS_PER_POST, MAX_UPLOAD_BYTES } from '../media/images.ts';

/**
 * Who is making a change, for rate limits: the API token, else the logged-in session, else the
 * address. Never the address alone for authors: a whole venue's audience can share one.
 */
function caller(request: FastifyRequest): string {
  const authorization = request.headers.authorization;
  if (authorization) return `token:${createHash('sha256').update(authorization).digest('base64url')}`;
  const userId = request.session?.userId;
  return userId ? `user:${userId}` : `address:${request.ip}`;
}

/** Route config for everything that writes: so many changes a minute per token or author. */
export function changeRateLimit(perMinute: number) {
  return {
    rateLimit: {
      max: perMinute,
      timeWindow: 60_000,
      keyGenerator: caller,
      hook: 'preHandler' as const,
      errorResponseBuilder: (_request: FastifyRequest, context: { after: string }) => ({
        statusCode: 429,
        code: 'LIVELOG_RATE_LIMITED',
        error: 'Too Many Requests',
        message: `Too many changes in a minute from this token or author; try again in ${context.after}`,
      }),
    },
  };
}

export async function registerSecurity(app: FastifyInstance): Promise<void> {
  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'self'"],
      },
    },
    // Livelog is often run on plain http at a venue: do not force https on its own assets.
    strictTransportSecurity: false,
  });
  await app.register(formbody, { bodyLimit: 64 * 1024 });
  // Photos arrive as multipart (the author's form and the API). Fields land on request.body, files
  // as Buffers, so routes validate one body whichever way it came; every part is bounded.
  await app.register(multipart, {
    attachFieldsToBody: 'keyValues',
    limits: { fileSize: MAX_UPLOAD_BYTES, files: MAX_PHOTOS_PER_POST, fields: 20, fieldSize: 64 * 1024, parts: 30 },
  });
  // Limits apply per route (see changeRateLimit): reading a stream is never limited.
  await app.register(rateLimit, { global: false });
}
