import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type, type Static } from '../../typebox.ts';
import { renderView } from '../../render/views.ts';
import { sessionUser } from '../plugins/sessions.ts';
import { actorOf, NAME_PATTERN, roleChange, type UserChange } from '../../auth/users.ts';
import { UserNotFound } from '../../errors.ts';
import type { UserRecord } from '../../auth/types.ts';
import { setAuthor, setOrder } from '../../log/commands.ts';
import { type PostOrder, SLUG_PATTERN } from '../../log/records.ts';
import { SlugParams } from './schemas.ts';
import { changerOf } from '../plugins/changes.ts';
import { adminAccessRoutes, adminHistoryRoutes, VisibilityField } from './admin-access.ts';

// The admin's pages: users, streams and their authors, API tokens. Session plus CSRF, admins only.

// Optional in the schema: a missing token is the CSRF check's 403, not a validation 400.
const Csrf = { _csrf: Type.Optional(Type.String({ maxLength: 200 })) };
const UserForm = Type.Object({
  ...Csrf,
  name: Type.String({ pattern: NAME_PATTERN }),
  // Only bounded here: the password rule itself (length, zxcvbn) explains what is wrong.
  password: Type.String({ maxLength: 256 }),
  admin: Type.Optional(Type.Literal('on')),
});
const PostOrderField = Type.Union([Type.Literal('newest'), Type.Literal('oldest')]);
const StreamForm = Type.Object({
  ...Csrf,
  slug: Type.String({ pattern: SLUG_PATTERN }),
  title: Type.String({ minLength: 1, maxLength: 200 }),
  description: Type.Optional(Type.String({ maxLength: 1000 })),
  order: Type.Optional(PostOrderField),
  visibility: Type.Optional(VisibilityField),
});
const OrderForm = Type.Object({ ...Csrf, order: PostOrderField });
const AuthorForm = Type.Object({ ...Csrf, name: Type.String({ pattern: NAME_PATTERN }), action: Type.Union([Type.Literal('add'), Type.Literal('remove')]) });
const TokenForm = Type.Object({
  ...Csrf,
  name: Type.String({ pattern: NAME_PATTERN }),
  label: Type.String({ minLength: 1, maxLength: 100 }),
  stream: Type.Optional(Type.String({ maxLength: 64 })),
});
const UserParams = Type.Object({ name: Type.String({ pattern: NAME_PATTERN }) });
const UserChangeForm = Type.Object({
  ...Csrf,
  change: Type.Union([Type.Literal('disable'), Type.Literal('enable'), Type.Literal('admin'), Type.Literal('author'), Type.Literal('contributor')]),
});
const CHANGES: Record<Static<typeof UserChangeForm>['change'], UserChange> = {
  disable: { disabled: true },
  enable: { disabled: false },
  admin: roleChange('admin'),
  author: roleChange('author'),
  contributor: roleChange('contributor'),
};
const TokenParams = Type.Object({ id: Type.String({ pattern: '^[0-9a-f]{8,64}$' }) });

const DONE = {
  'user-added': 'User added.',
  'user-changed': 'User changed.',
  'stream-created': 'Stream created.',
  'order-changed': 'Order changed.',
  'authors-changed': 'Authors changed.',
  'token-revoked': 'Token revoked.',
  'visibility-changed': 'Visibility set.',
  'links-revoked': 'Viewer links revoked: their viewers were let go.',
} as const;
const DoneQuery = Type.Object({ done: Type.Optional(Type.Union(Object.keys(DONE).map((k) => Type.Literal(k)))) });

declare module 'fastify' {
  interface FastifyRequest {
    admin?: UserRecord;
  }
}

async function requireAdmin(request: FastifyRequest, reply: FastifyReply) {
  const user = await sessionUser(request);
  if (!user) return reply.redirect(`/login?next=${encodeURIComponent('/admin')}`, 303);
  if (!user.admin) return reply.forbidden('Only an admin can see this page');
  request.admin = user;
  request.changer = user;
}

export async function adminRoutes(app: FastifyInstance): Promise<void> {
  // Who is asking is settled before any body is read (the CSRF token is in the body: checked after).
  app.addHook('onRequest', requireAdmin);
  const csrf = app.csrfProtection;
  const { users, tokens, streams, projections } = app.livelog;

  // Membership is a change to the stream's log: it spends the admin's change budget like any other.
  await app.register(async (membership) => {
    membership.addHook('onRequest', membership.changeGuards.budget);
    membership.post<{ Params: Static<typeof SlugParams>; Body: Static<typeof AuthorForm> }>(
      '/admin/streams/:slug/authors',
      { schema: { params: SlugParams, body: AuthorForm }, preHandler: csrf },
      async (request, reply) => {
        const member = await users.byName(request.body.name);
        if (!member) throw new UserNotFound(request.body.name);
        const projection = await app.livelog.projections.require(request.params.slug);
        await setAuthor(projection, {
          actor: actorOf(changerOf(request)),
          member: { id: member._id, name: member.name },
          active: request.body.action === 'add',
          key: randomUUID(),
        });
        return reply.redirect('/admin?done=authors-changed', 303);
      },
    );
    // The order readers see by default: a change in the stream's log, so every instance learns it.
    membership.post<{ Params: Static<typeof SlugParams>; Body: Static<typeof OrderForm> }>(
      '/admin/streams/:slug/order',
      { schema: { params: SlugParams, body: OrderForm }, preHandler: csrf },
      async (request, reply) => {
        const projection = await app.livelog.projections.require(request.params.slug);
        await setOrder(projection, { actor: actorOf(changerOf(request)), order: request.body.order, key: randomUUID() });
        return reply.redirect('/admin?done=order-changed', 303);
      },
    );
    await membership.register(adminAccessRoutes, { page });
  });
  await app.register(adminHistoryRoutes);

  async function page(request: FastifyRequest, reply: FastifyReply, extra: Record<string, unknown> = {}) {
    const [userList, streamList, tokenList] = await Promise.all([users.list(), streams.list(), tokens.list()]);
    const orders = new Map<string, PostOrder>();
    const authors = new Map<string, string[]>();
    const access = new Map<string, { visibility: string; links: number }>();
    // Contributors are members like authors; the list says which they are.
    const contributors = new Set(userList.filter((u) => u.contributor).map((u) => u._id));
    for (const stream of streamList) {
      const projection = await projections.get(stream._id);
      if (projection) access.set(stream._id, { visibility: projection.access.visibility, links: projection.access.viewerLinks.size });
      const members = projection ? [...projection.authors.values()] : [];
      authors.set(stream._id, members.map((a) => (contributors.has(a.id) ? `${a.name} (contributor)` : a.name)));
      // The order now (the log's latest order change, else the one the stream was made with).
      orders.set(stream._id, projection?.order ?? stream.order ?? 'newest');
    }
    return reply.type('text/html; charset=utf-8').send(
      renderView('admin', {
        title: 'Admin',
        user: request.admin,
        csrfToken: reply.generateCsrf(),
        users: userList,
        streams: streamList,
        authors,
        orders,
        access,
        tokens: tokenList,
        ...extra,
      }),
    );
  }

  app.get<{ Querystring: Static<typeof DoneQuery> }>('/admin', { schema: { querystring: DoneQuery } }, (request, reply) =>
    page(request, reply, { done: request.query.done ? DONE[request.query.done as keyof typeof DONE] : null }),
  );

  app.post<{ Body: Static<typeof UserForm> }>('/admin/users', { schema: { body: UserForm }, preHandler: csrf }, async (request, reply) => {
    await users.add(request.body.name, request.body.password, request.body.admin === 'on');
    return reply.redirect('/admin?done=user-added', 303);
  });

  // Disable, enable, make admin or author. Sessions of a disabled user end on their next request.
  app.post<{ Params: Static<typeof UserParams>; Body: Static<typeof UserChangeForm> }>(
    '/admin/users/:name',
    { schema: { params: UserParams, body: UserChangeForm }, preHandler: csrf },
    async (request, reply) => {
      const user = await users.change(request.params.name, CHANGES[request.body.change], request.admin);
      request.log.info({ user: user.name, change: request.body.change, by: changerOf(request).name }, 'user changed');
      return reply.redirect('/admin?done=user-changed', 303);
    },
  );

  app.post<{ Body: Static<typeof StreamForm> }>('/admin/streams', { schema: { body: StreamForm }, preHandler: csrf }, async (request, reply) => {
    const { slug, title, description, order, visibility } = request.body;
    await streams.create(slug, title, changerOf(request)._id, description ?? '', order, visibility);
    return reply.redirect('/admin?done=stream-created', 303);
  });


  // The new token is shown on the page this once; it is stored only as a hash.
  app.post<{ Body: Static<typeof TokenForm> }>('/admin/tokens', { schema: { body: TokenForm }, preHandler: csrf }, async (request, reply) => {
    const owner = await users.byName(request.body.name);
    if (!owner) throw new UserNotFound(request.body.name);
    const stream = request.body.stream || undefined;
    if (stream) await app.livelog.projections.require(stream);
    const token = await tokens.create(owner, request.body.label, stream);
    reply.header('cache-control', 'no-store');
    return page(request, reply, { newToken: { token, user: owner.name, label: request.body.label, stream } });
  });

  app.post<{ Params: Static<typeof TokenParams>; Body: { _csrf?: string } }>(
    '/admin/tokens/:id/revoke',
    { schema: { params: TokenParams, body: Type.Object(Csrf) }, preHandler: csrf },
    async (request, reply) => {
      await tokens.revoke(request.params.id);
      return reply.redirect('/admin?done=token-revoked', 303);
    },
  );
}
