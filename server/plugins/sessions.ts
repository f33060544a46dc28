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
/** How long a page view with a session waits, during an outage, to learn the database is back. */
const OUTAGE_PROBE_MS = 1000;

/** Cookie sessions for people using the pages; the API uses bearer tokens and never these. */
export async function registerSessions(app: FastifyInstance, database: Database, publicUrl?: string): Promise<void> {
  // Served over https: the cookie is Secure and __Host- prefixed (no Domain, Path=/, https only),
  // so neither a subdomain nor a plain-http page can set or read it.
  const https = publicUrl?.startsWith('https://') ?? false;
  await app.register(cookie);
  const cookieName = https ? '__Host-livelog_session' : 'livelog_session';
  // During a database outage a session lookup would wait seconds and fail: a page or live view is
  // then served as to an anonymous reader (from memory), rather than a 503. Changes keep their
  // session and answer 503 to retry, so no author is silently logged out of a post.
  app.addHook('onRequest', async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return;
    if (request.cookies[cookieName] && !(await database.answersWithin(OUTAGE_PROBE_MS))) delete request.cookies[cookieName];
  });
  await app.register(session, {
    secret: await sessionSecret(database.db),
    cookieName,
    store: new MongoSessionStore(database.sessions),
    saveUninitialized: false,
    cookie: { httpOnly: true, sameSite: 'lax', secure: https ? true : 'auto', path: '/', maxAge: SESSION_TTL_MS },
  });
  await app.register(csrf, { sessionPlugin: '@fastify/session', getToken: (req) => (req.body as { _csrf?: string } | undefined)?._csrf });
}

/** The logged-in user of a page request, or null. */
export async function sessionUser(request: FastifyRequest): Promise<UserRecord | null> {
  const userId = request.session?.userId;
  if (!userId) return null;
  return request.server.livelog.users.byId(userId);
}
