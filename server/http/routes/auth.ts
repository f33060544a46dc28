import type { FastifyInstance, FastifyReply } from 'fastify';
import { Type, type Static } from '../../typebox.ts';
import { renderView } from '../../render/views.ts';
import { loginGate } from '../../workers/shared-limits.ts';
import { safeNext } from '../../auth/login-next.ts';
import { BUSY_RETRY_AFTER_S } from '../../auth/password-checks.ts';
import { PasswordChecksBusy } from '../../errors.ts';
import { knownBrowserFor, startSession } from '../plugins/sessions.ts';
import type { UserRecord } from '../../auth/types.ts';

// `next` is checked by safeNext, which sends anything odd or overlong home: a long or strange link
// still shows the login form instead of an error page.
const Next = Type.String({ maxLength: 4096 });
const LoginQuery = Type.Object({ next: Type.Optional(Next) });
const LoginBody = Type.Object({
  name: Type.String({ maxLength: 64 }),
  password: Type.String({ maxLength: 256 }),
  next: Type.Optional(Next),
  _csrf: Type.Optional(Type.String({ maxLength: 200 })),
});

export async function authRoutes(app: FastifyInstance): Promise<void> {
  // One throttle for the whole LIVELOG_WORKERS group, if there is one (see workers/shared-limits.ts).
  const throttle = loginGate();

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
      const loginPage = (statusCode: number, error: string, retryAfterSeconds?: number): FastifyReply => {
        if (retryAfterSeconds !== undefined) reply.header('retry-after', String(retryAfterSeconds));
        return reply
          .code(statusCode)
          .type('text/html; charset=utf-8')
          .send(renderView('login', { title: 'Log in', user: null, csrfToken: reply.generateCsrf(), next, name, error }));
      };
      const wait = await throttle.check(request.ip, name, knownBrowserFor(request, name));
      if (wait) {
        request.log.info({ name, retryAfter: wait.retryAfterSeconds }, 'login throttled');
        return loginPage(429, wait.message, wait.retryAfterSeconds);
      }
      let user: UserRecord | null;
      try {
        user = await app.livelog.users.authenticate(name, password);
      } catch (error) {
        throttle.abandoned(request.ip, name);
        if (!(error instanceof PasswordChecksBusy)) throw error;
        request.log.warn({ name }, 'login refused: too many password checks at once');
        return loginPage(503, error.message, BUSY_RETRY_AFTER_S);
      }
      if (!user) {
        throttle.failed(request.ip, name);
        request.log.info({ name }, 'login failed');
        return loginPage(401, 'Wrong name or password.');
      }
      throttle.succeeded(request.ip, name);
      // Said only to someone who knows the password, so it reveals nothing to a guesser.
      if (user.disabled) {
        request.log.info({ user: user.name }, 'login refused: account disabled');
        return loginPage(403, 'This account is disabled; ask an admin to enable it.');
      }
      await startSession(request, reply, user);
      request.log.info({ user: user.name }, 'logged in');
      return reply.redirect(next, 303);
    },
  );

  app.post('/logout', { preHandler: app.csrfProtection }, async (request, reply) => {
    await request.session.destroy();
    return reply.redirect('/', 303);
  });
}
