import type { FastifyInstance, FastifyRequest } from 'fastify';
import cookie from '@fastify/cookie';
import session from '@fastify/session';
import csrf from '@fastify/csrf-protection';
import type { Database } from '../db/database.ts';
import { MongoSessionStore, sessionSecret } from '../auth/session-store.ts';
import type { UserRecord } from '../auth/types.ts';

declare module 'fastify' {
  interface Session {
    userId?: string;
  }
}

const SESSION_TTL_MS = 14 * 24 * 3600 * 1000;

/** Cookie sessions for people using the pages; the API uses bearer tokens and never these. */
export async function registerSessions(app: FastifyInstance, database: Database): Promise<void> {
  await app.register(cookie);
  await app.register(session, {
    secret: await sessionSecret(database.db),
    cookieName: 'livelog_session',
    store: new MongoSessionStore(database.sessions),
    saveUninitialized: false,
    cookie: { httpOnly: true, sameSite: 'lax', secure: 'auto', path: '/', maxAge: SESSION_TTL_MS },
  });
  await app.register(csrf, { sessionPlugin: '@fastify/session', getToken: (req) => (req.body as { _csrf?: string } | undefined)?._csrf });
}

/** The logged-in user of a page request, or null. */
export async function sessionUser(request: FastifyRequest): Promise<UserRecord | null> {
  const userId = request.session?.userId;
  if (!userId) return null;
  return request.server.livelog.users.byId(userId);
}
