import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Static } from '@sinclair/typebox';
import type { StreamProjection } from '../../log/projection.ts';
import { atomFeed, type FeedSource, jsonFeed, newestPosts } from '../../render/feeds.ts';
import { siteBase, siteLinks } from '../../render/links.ts';
import { SlugParams } from './schemas.ts';
import { markRestricted, readStream } from '../plugins/stream-access.ts';

// A stream's Atom and JSON feeds. A feed changes only when the stream's log moves, so its ETag is
// the stream's life and head: a reader polling an unchanged stream gets a 304 without any rendering.

type Params = { Params: Static<typeof SlugParams> };

/** Feed readers poll; a short shared cache spares the server a crowd of them. Without
 *  LIVELOG_PUBLIC_URL the links follow the request's host (or a proxy's X-Forwarded-Host), so only
 *  the reader's own cache may keep it: a shared one could be handed another host's links. */
const FEED_CACHE = 'public, max-age=30';
const FEED_CACHE_OWN_HOST = 'private, max-age=30';

export async function feedRoutes(app: FastifyInstance): Promise<void> {
  /** The feed's ETag, or null after answering 304 because the reader has it already. */
  function checkFresh(request: FastifyRequest, reply: FastifyReply, projection: StreamProjection, base: string): string | null {
    // The base is part of it: without LIVELOG_PUBLIC_URL the links follow the request's host.
    const tag = `W/"${projection.epoch}.${projection.head}.${Buffer.from(base).toString('base64url')}"`;
    const cache = app.livelog.config.LIVELOG_PUBLIC_URL ? FEED_CACHE : FEED_CACHE_OWN_HOST;
    reply.header('etag', tag).header('cache-control', cache).header('vary', 'host');
    // Not for everyone: the reader's own cache only (a feed reader holds the key in the address).
    markRestricted(reply, projection.access.visibility, FEED_CACHE_OWN_HOST);
    // Weak comparison (RFC 9110): W/"x" and "x" match; "*" matches any current feed.
    const asked = request.headers['if-none-match']?.split(',').map((one) => one.trim().replace(/^W\//, ''));
    if (asked?.some((one) => one === '*' || one === tag.slice(2))) {
      reply.code(304).send();
      return null;
    }
    return tag;
  }

  function sourceOf(projection: StreamProjection, base: string): FeedSource {
    const posts = newestPosts(projection.page(Infinity)).map((version) => ({ post: version.post }));
    const updated = projection.updatedAt ?? projection.stream.createdAt;
    return { stream: projection.stream, posts, updated, links: siteLinks(base, projection.slug) };
  }

  app.get<Params>('/s/:slug/feed.xml', { schema: { params: SlugParams } }, async (request, reply) => {
    const { projection } = await readStream(request, reply, request.params.slug);
    const base = siteBase(app.livelog.config.LIVELOG_PUBLIC_URL, request);
    if (!checkFresh(request, reply, projection, base)) return reply;
    return reply.type('application/atom+xml; charset=utf-8').send(atomFeed(sourceOf(projection, base)));
  });

  app.get<Params>('/s/:slug/feed.json', { schema: { params: SlugParams } }, async (request, reply) => {
    const { projection } = await readStream(request, reply, request.params.slug);
    const base = siteBase(app.livelog.config.LIVELOG_PUBLIC_URL, request);
    if (!checkFresh(request, reply, projection, base)) return reply;
    return reply.type('application/feed+json; charset=utf-8').send(JSON.stringify(jsonFeed(sourceOf(projection, base))));
  });
}
