import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { MediaNotFound } from '../media/images.ts';

const MediaParams = Type.Object({ file: Type.String({ pattern: '^[0-9a-f]{64}\\.webp$' }) });

export async function mediaRoutes(app: FastifyInstance): Promise<void> {
  // A photo's id is the hash of its bytes: its URL can never show other content, so it is cached
  // for good by browsers and proxies.
  app.get<{ Params: Static<typeof MediaParams> }>('/media/:file', { schema: { params: MediaParams } }, async (request, reply) => {
    const record = await app.livelog.images.get(request.params.file.slice(0, 64));
    if (!record) throw new MediaNotFound();
    return reply
      .type(record.type)
      .header('cache-control', 'public, max-age=31536000, immutable')
      .header('content-disposition', 'inline')
      .send(Buffer.from(record.bytes.buffer));
  });
}
