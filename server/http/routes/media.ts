import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '../../typebox.ts';
import { MediaNotFound } from '../../errors.ts';
import type { StreamProjection } from '../../log/projection.ts';
import { SlugParams } from './schemas.ts';
import { markRestricted, readStream } from '../plugins/stream-access.ts';

const MediaParams = Type.Object({ slug: SlugParams.properties.slug, file: Type.String({ pattern: '^[0-9a-f]{64}\\.webp$' }) });

/**
 * Long enough that a page full of photos is not fetched again on every view; short enough that a
 * deleted post's photo leaves browsers and shared caches within minutes.
 */
const MAX_AGE_SECONDS = 300;

/** The photos a stream's live posts show, worked out once per head. */
const inUse = new WeakMap<StreamProjection, { head: number; ids: Set<string> }>();

function photosInUse(projection: StreamProjection): Set<string> {
  let entry = inUse.get(projection);
  if (entry?.head !== projection.head) {
    const ids = new Set<string>();
    for (const latest of projection.changesSince(0)) {
      if (latest.kind === 'post') for (const m of latest.post.media ?? []) ids.add(m.id);
    }
    entry = { head: projection.head, ids };
    inUse.set(projection, entry);
  }
  return entry.ids;
}

export async function mediaRoutes(app: FastifyInstance): Promise<void> {
  // A photo is served under its stream, and only while a post there shows it: deleting the post
  // takes the photo down too. Its id is the hash of its bytes, which makes a perfect ETag.
  app.get<{ Params: Static<typeof MediaParams> }>('/s/:slug/media/:file', { schema: { params: MediaParams } }, async (request, reply) => {
    const id = request.params.file.slice(0, 64);
    const { projection } = await readStream(request, reply, request.params.slug);
    if (!photosInUse(projection).has(id)) throw new MediaNotFound();
    const etag = `"${id}"`;
    reply.header('cache-control', `public, max-age=${MAX_AGE_SECONDS}`).header('etag', etag);
    markRestricted(reply, projection.access.visibility, `private, max-age=${MAX_AGE_SECONDS}`);
    if (request.headers['if-none-match'] === etag) return reply.code(304).send();
    const record = await app.livelog.images.get(id);
    if (!record) throw new MediaNotFound();
    return reply.type(record.type).header('content-disposition', 'inline').send(Buffer.from(record.bytes.buffer));
  });
}
