import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { renderView } from '../render/views.ts';
import { LoginThrottle } from '../auth/login-throttle.ts';

const LoginQuery = Type.Object({ next: Type.Optional(Type.String({ maxLength: 500 })) });
const LoginBody = Type.Object({
  name: Type.String({ maxLength: 64 }),
  password: Type.String({ maxLength: 256 }),
  next: Type.Optional(Type.String({ maxLength: 500 })),
  _csrf: Type.Optional(Type.String({ maxLength: 200 })),
});

/** Only same-site paths: `next` must not send people to another site after they log in. */
function safeNext(next: string | undefined): string {
  return next && next.startsWith('/') && !next.startsWith('//') && !next.includes('\\') ? next : '/';
}

export async function authRoutes(app: FastifyInstance): Promise<void> {
  const throttle = new LoginThrottle();

  app.get<{ Querystring: Static<typeof LoginQuery> }>('/login', { schema: { querystring: LoginQuery } }, async (request, reply) => {
    const csrfToken = reply.generateCsrf();
    return reply
      .type('text/html; charset=utf-8')
      .send(renderView('login', { title: 'Log in', user: null, csrfToken, next: safeNext(request.query.next) }));
  });

  app.post<{ Body: Static<typeof LoginBody> }>(
    '/login',
    { schema: { body: LoginBody }, preHandler: app.csrfProtection },
    async (request, reply) => {
      const { name, password } = request.body;
      const next = safeNext(request.body.next);
      const loginPage = (statusCode: number, error: string) =>
        reply
          .code(statusCode)
          .type('text/html; charset=utf-8')
          .send(renderView('login', { title: 'Log in', user: null, csrfToken: reply.generateCsrf(), next, name, error }));
      try {
        throttle.check(request.ip, name);
      } catch (error) {
        const { message } = error as Error;
        reply.header('retry-after', /(\d+) seconds/.exec(message)?.[1] ?? '60');
        return loginPage(429, message);
      }
      const user = await app.livelog.users.authenticate(name, password);
      if (!user) {
        throttle.failed(request.ip, name);
        request.log.info({ name }, 'login failed');
        return loginPage(401, 'Wrong name or password.');
      }
      throttle.succeeded(request.ip, name);
      // A fresh session id at login: a session id planted before login is worth nothing after it.
      await request.session.regenerate();
      request.session.userId = user._id;
      request.log.info({ user: user.name }, 'logged in');
      return reply.redirect(next, 303);
    },
  );

  app.post('/logout', { preHandler: app.csrfProtection }, async (request, reply) => {
    await request.session.destroy();
    return reply.redirect('/', 303);
  });
}
