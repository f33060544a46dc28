import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type, type Static } from '../../typebox.ts';
import { addViewerLink, revokeViewerLinks, setVisibility } from '../../log/access-commands.ts';
import { KEY_PATTERN } from '../../log/commands.ts';
import type { AppendResult } from '../../log/projection.ts';
import { actorOf } from '../../auth/users.ts';
import { siteBase, viewerLink } from '../../render/links.ts';
import { changerOf } from '../plugins/changes.ts';
import { changeableStream } from '../plugins/stream-access.ts';
import { SlugParams } from './schemas.ts';

// Who may watch a stream, through the API: admins' tokens only (the log refuses anyone else).
// Registered inside the API's guarded group: token and change budget are checked before the body.

const VisibilityBody = Type.Object(
  { visibility: Type.Union([Type.Literal('public'), Type.Literal('unlisted'), Type.Literal('private')]) },
  { additionalProperties: false },
);
const IdempotencyHeaders = Type.Object({ 'idempotency-key': Type.Optional(Type.String({ pattern: KEY_PATTERN })) });
type Request = FastifyRequest<{ Params: Static<typeof SlugParams>; Headers: Static<typeof IdempotencyHeaders> }>;

const keyOf = (request: Request) => request.headers['idempotency-key'] ?? randomUUID();

function accessReply(reply: FastifyReply, { record, replayed }: AppendResult, extra: Record<string, unknown> = {}, statusCode = 200) {
  reply.request.log.info({ stream: record.stream, seq: record.seq, type: record.type, replayed }, 'access change via API');
  if (replayed) reply.header('idempotent-replayed', 'true');
  return reply.code(statusCode).send({ stream: record.stream, seq: record.seq, type: record.type, at: record.at.toISOString(), ...extra });
}

export async function apiAccessRoutes(app: FastifyInstance): Promise<void> {
  const schema = { params: SlugParams, headers: IdempotencyHeaders };

  app.put<{ Params: Static<typeof SlugParams>; Body: Static<typeof VisibilityBody>; Headers: Static<typeof IdempotencyHeaders> }>(
    '/streams/:slug/visibility',
    { schema: { ...schema, body: VisibilityBody } },
    async (request, reply) => {
      const projection = await changeableStream(request, request.params.slug);
      const result = await setVisibility(projection, { actor: actorOf(changerOf(request)), visibility: request.body.visibility, key: keyOf(request) });
      return accessReply(reply, result, { visibility: request.body.visibility });
    },
  );

  // The key is in this answer only; a retry with the same Idempotency-Key makes no second link and
  // cannot show the key again (`url` is null then).
  app.post<{ Params: Static<typeof SlugParams>; Headers: Static<typeof IdempotencyHeaders> }>('/streams/:slug/viewer-links', { schema }, async (request, reply) => {
    const projection = await changeableStream(request, request.params.slug);
    const result = await addViewerLink(projection, { actor: actorOf(changerOf(request)), key: keyOf(request) });
    const base = siteBase(app.livelog.config.LIVELOG_PUBLIC_URL, request);
    reply.header('cache-control', 'no-store');
    return accessReply(reply, result, { url: result.key ? viewerLink(base, projection.slug, result.key) : null }, result.replayed ? 200 : 201);
  });

  app.delete<{ Params: Static<typeof SlugParams>; Headers: Static<typeof IdempotencyHeaders> }>('/streams/:slug/viewer-links', { schema }, async (request, reply) => {
    const projection = await changeableStream(request, request.params.slug);
    const result = await revokeViewerLinks(projection, { actor: actorOf(changerOf(request)), key: keyOf(request) });
    return accessReply(reply, result);
  });
}
