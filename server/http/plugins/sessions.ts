import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import cookie from '@fastify/cookie';
import session from '@fastify/session';
import csrf from '@fastify/csrf-protection';
import type { Database } from '../../db/database.ts';
import { MongoSessionStore, sessionSecret, sessionsOf } from '../../auth/session-store.ts';
import type { UserRecord } from '../../auth/types.ts';

declare module 'fastify' {
  interface Session {
    userId?: string;
    /** The user's sessionEpoch at login: when theirs moves on, this session is over. */
    epoch?: number;
  }
  interface FastifyInstance {
    loginCookies: Cookies;
  }
  interface FastifyRequest {
    /** It came with a session the database could not check (an outage): served as to a reader. */
    signInUnchecked?: boolean;
  }
}

const SESSION_TTL_MS = 14 * 24 * 3600 * 1000;
const KNOWN_BROWSER_TTL_MS = 180 * 24 * 3600 * 1000;
/** How long a page view with a session waits, during an outage, to learn the database is back. */
const OUTAGE_PROBE_MS = 1000;

/** Cookie names, __Host- prefixed when served over https, and whether cookies are Secure. */
export interface Cookies {
  session: string;
  csrf: string;
  knownBrowser: string;
  secure: true | 'auto';
}

/**
 * Cookie sessions for people who log in; the API uses bearer tokens and never these. The CSRF
 * secret lives in its own signed cookie, not in a session, so a visitor who never logs in costs
 * no database write.
 */
export async function registerSessions(app: FastifyInstance, database: Database, publicUrl?: string): Promise<void> {
  // Served over https: cookies are Secure and __Host- prefixed (no Domain, Path=/, https only),
  // so neither a subdomain nor a plain-http page can set or read them.
  const https = publicUrl?.startsWith('https://') ?? false;
  const prefix = https ? '__Host-' : '';
  const secure = https ? true : 'auto';
  const names: Cookies = { session: `${prefix}livelog_session`, csrf: `${prefix}livelog_csrf`, knownBrowser: `${prefix}livelog_known`, secure };
  app.decorate('loginCookies', names);
  const secret = await sessionSecret(database.db);
  await app.register(cookie, { secret });
  // During a database outage a session lookup would wait seconds and fail: a page or live view is
  // then served as to an anonymous reader (from memory), rather than a 503. Changes keep their
  // session and answer 503 to retry, so no author is silently logged out of a post.
  app.addHook('onRequest', async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return;
    if (request.cookies[names.session] && !(await database.answersWithin(OUTAGE_PROBE_MS))) {
      delete request.cookies[names.session];
      request.signInUnchecked = true;
    }
  });
  await app.register(session, {
    secret,
    cookieName: names.session,
    store: new MongoSessionStore(sessionsOf(database), app.log.child({ component: 'sessions' })),
    saveUninitialized: false,
    cookie: { httpOnly: true, sameSite: 'lax', secure, path: '/', maxAge: SESSION_TTL_MS },
  });
  await app.register(csrf, {
    sessionPlugin: '@fastify/cookie',
    cookieKey: names.csrf,
    // No maxAge: a browser-session cookie, made again on the next form a visitor opens.
    cookieOpts: { signed: true, httpOnly: true, sameSite: 'lax', secure, path: '/' },
    getToken: (req) => (req.body as { _csrf?: string } | undefined)?._csrf,
  });
}

/**
 * The logged-in user of a page request, or null. A session whose user is gone, disabled, or has
 * changed password since (sessionEpoch) is ended here, on whichever instance sees it next.
 */
export async function sessionUser(request: FastifyRequest): Promise<UserRecord | null> {
  const userId = request.session?.userId;
  if (!userId) return null;
  const user = await request.server.livelog.users.byId(userId);
  if (user && !user.disabled && (user.sessionEpoch ?? 0) === (request.session.epoch ?? 0)) return user;
  request.log.info({ userId, reason: !user ? 'user gone' : user.disabled ? 'user disabled' : 'password changed' }, 'session ended');
  await request.session.destroy();
  return null;
}

/** Starts a session for a user who just proved their password. */
export async function startSession(request: FastifyRequest, reply: FastifyReply, user: UserRecord): Promise<void> {
  // A fresh session id at login: a session id planted before login is worth nothing after it.
  await request.session.regenerate();
  request.session.userId = user._id;
  request.session.epoch = user.sessionEpoch ?? 0;
  // Lets this browser past the per-address login throttle for this name later (see LoginThrottle).
  const { knownBrowser, secure } = request.server.loginCookies;
  reply.setCookie(knownBrowser, user.name.toLowerCase(), {
    signed: true,
    httpOnly: true,
    sameSite: 'lax',
    secure,
    path: '/',
    maxAge: KNOWN_BROWSER_TTL_MS / 1000,
  });
}

/** Whether this browser has logged in as `name` before. */
export function knownBrowserFor(request: FastifyRequest, name: string): boolean {
  const raw = request.cookies[request.server.loginCookies.knownBrowser];
  if (!raw) return false;
  const { valid, value } = request.unsignCookie(raw);
  return valid && value === name.toLowerCase();
}
