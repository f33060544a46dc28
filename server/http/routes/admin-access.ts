import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type, type Static } from '../../typebox.ts';
import { actorOf } from '../../auth/users.ts';
import { VisibilityUnchanged } from '../../errors.ts';
import { addViewerLink, revokeViewerLinks, setVisibility } from '../../log/access-commands.ts';
import { siteBase, viewerLink } from '../../render/links.ts';
import { changerOf } from '../plugins/changes.ts';
import { SeqText, SlugParams } from './schemas.ts';
import { describeChange } from '../../render/history.ts';
import { renderView } from '../../render/views.ts';

// The admin page's controls of who may watch a stream: its visibility, a new viewer link (shown on
// the page this once; only its hash is kept), and revoking every link. Each is a change in the
// stream's log, so every instance lets go of the viewers it no longer admits.

const Csrf = { _csrf: Type.Optional(Type.String({ maxLength: 200 })) };
export const VisibilityField = Type.Union([Type.Literal('public'), Type.Literal('unlisted'), Type.Literal('private')]);
const VisibilityForm = Type.Object({ ...Csrf, visibility: VisibilityField });
type Params = { Params: Static<typeof SlugParams> };

export interface AdminAccessOptions {
  /** Renders the admin page with something to show this once. */
  page(request: FastifyRequest, reply: FastifyReply, extra: Record<string, unknown>): Promise<FastifyReply>;
}

export async function adminAccessRoutes(app: FastifyInstance, { page }: AdminAccessOptions): Promise<void> {
  const csrf = app.csrfProtection;
  const { projections } = app.livelog;
  const form = { params: SlugParams, body: Type.Object(Csrf) };

  app.post<Params & { Body: Static<typeof VisibilityForm> }>(
    '/admin/streams/:slug/visibility',
    { schema: { params: SlugParams, body: VisibilityForm }, preHandler: csrf },
    async (request, reply) => {
      const projection = await projections.require(request.params.slug);
      try {
        await setVisibility(projection, { actor: actorOf(changerOf(request)), visibility: request.body.visibility, key: randomUUID() });
      } catch (error) {
        // Choosing what it already is leaves it so: nothing to tell the admin but that it is.
        if (!(error instanceof VisibilityUnchanged)) throw error;
      }
      return reply.redirect('/admin?done=visibility-changed', 303);
    },
  );

  app.post<Params>('/admin/streams/:slug/viewer-links', { schema: form, preHandler: csrf }, async (request, reply) => {
    const projection = await projections.require(request.params.slug);
    const { key } = await addViewerLink(projection, { actor: actorOf(changerOf(request)), key: randomUUID() });
    // Only a retry of the same idempotency key comes back without one, and this one is fresh.
    if (!key) throw new Error('a new viewer link came back without its key');
    const url = viewerLink(siteBase(app.livelog.config.LIVELOG_PUBLIC_URL, request), projection.slug, key);
    request.log.info({ stream: projection.slug, by: changerOf(request).name }, 'viewer link made');
    reply.header('cache-control', 'no-store');
    return page(request, reply, { newLink: { url, stream: projection.stream.title } });
  });

  app.post<Params>('/admin/streams/:slug/viewer-links/revoke', { schema: form, preHandler: csrf }, async (request, reply) => {
    const projection = await projections.require(request.params.slug);
    await revokeViewerLinks(projection, { actor: actorOf(changerOf(request)), key: randomUUID() });
    request.log.info({ stream: projection.slug, by: changerOf(request).name }, 'viewer links revoked');
    return reply.redirect('/admin?done=links-revoked', 303);
  });
}

const HistoryQuery = Type.Object({ before: Type.Optional(SeqText) });

/** A stream's history of changes (who, what, when), read from its log a page at a time. Reading: no change budget. */
export async function adminHistoryRoutes(app: FastifyInstance): Promise<void> {
  app.get<Params & { Querystring: Static<typeof HistoryQuery> }>(
    '/admin/streams/:slug/history',
    { schema: { params: SlugParams, querystring: HistoryQuery } },
    async (request, reply) => {
      const projection = await app.livelog.projections.require(request.params.slug);
      const before = request.query.before === undefined ? undefined : Number(request.query.before);
      const { records, older } = await app.livelog.history(projection, before);
      const live = new Set(projection.page(Infinity).map((version) => version.post.id));
      reply.header('cache-control', 'no-store');
      return reply.type('text/html; charset=utf-8').send(
        renderView('history', {
          title: `History of ${projection.stream.title}`,
          user: request.admin,
          csrfToken: reply.generateCsrf(),
          stream: projection.stream,
          changes: records.map((record) => ({
            seq: record.seq,
            at: record.at,
            by: record.by.name,
            what: describeChange(record),
            href: record.postId && live.has(record.postId) ? `/s/${projection.slug}/p/${record.postId}` : null,
          })),
          older: older === undefined ? null : `/admin/streams/${projection.slug}/history?before=${older}`,
          newest: before === undefined ? null : `/admin/streams/${projection.slug}/history`,
        }),
      );
    },
  );
}
