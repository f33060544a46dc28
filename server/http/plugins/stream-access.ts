import type { FastifyReply, FastifyRequest } from 'fastify';
import { StreamNotFound } from '../../errors.ts';
import type { StreamProjection } from '../../log/projection.ts';
import type { Visibility } from '../../log/records.ts';
import { admits, VIEWER_KEY_PATTERN, type Visitor, viewerKeyHash } from '../../log/visibility.ts';
import type { ViewerTransport } from '../../live/transport.ts';
import { sessionUser } from './sessions.ts';

// Every route that reads a stream asks here first. A stream the caller may not watch answers
// exactly as a stream that does not exist (StreamNotFound: same status, body and headers), so a
// private stream's name, title or existence leaks nowhere.

/** How long a viewer link's cookie lasts; revoking the link ends it sooner. */
const VIEWER_COOKIE_SECONDS = 30 * 24 * 3600;

/** How a route knows who asks: pages and live connections by cookies, the API by bearer token. */
export type Identity = 'cookies' | 'bearer';

export interface StreamRead {
  projection: StreamProjection;
  visitor: Visitor;
  /** A working viewer key came in the address: a page redirects to the address without it. */
  keyInAddress: boolean;
}

/** Who each live viewer is, for the streams that may let them go (see watchAccess). */
const visitors = new WeakMap<ViewerTransport, Visitor>();
/** Projections whose access changes are watched. */
const watched = new WeakSet<StreamProjection>();

/**
 * The stream's projection if the caller may read it, else StreamNotFound as for a missing stream.
 * A working viewer key in the address also sets the stream's cookie, when there is a `reply` to carry it.
 */
export async function readStream(request: FastifyRequest, reply: FastifyReply | undefined, slug: string, identity: Identity = 'cookies'): Promise<StreamRead> {
  const projection = await request.server.livelog.projections.require(slug);
  watchAccess(request, projection);
  const { access } = projection;
  const fromAddress = linkOf(access.viewerLinks, (request.query as { key?: unknown } | undefined)?.key);
  if (fromAddress && reply && identity === 'cookies') rememberLink(request, reply, slug, fromAddress);
  const read = { projection, visitor: fromAddress ? { link: fromAddress } : {}, keyInAddress: fromAddress !== undefined };
  if (access.visibility !== 'private' || fromAddress) return read;
  const visitor: Visitor = identity === 'cookies' ? await cookieVisitor(request, slug) : await bearerVisitor(request, slug);
  if (!admits(projection.access, visitor)) throw new StreamNotFound(slug);
  return { ...read, visitor };
}

/**
 * A stream to change, for a route that knows its changer: a private one the changer may not watch
 * is, to them, a stream that does not exist (a 403 would say that it does). Checked where a missing
 * stream is, so every other answer (a bad body, a missing CSRF token) is the same for both.
 */
export async function changeableStream(request: FastifyRequest, slug: string): Promise<StreamProjection> {
  const projection = await request.server.livelog.projections.require(slug);
  const changer = request.changer;
  if (changer && !admits(projection.access, { user: { id: changer._id, admin: changer.admin } })) throw new StreamNotFound(slug);
  return projection;
}

/** Whether the visitor is still admitted now: checked again just before a viewer is attached. */
export function stillAdmitted(projection: StreamProjection, visitor: Visitor): boolean {
  return admits(projection.access, visitor);
}

/**
 * Who a live viewer is, for `rememberViewer`: a signed-in viewer of a public stream is looked up
 * too (one read, only with a session), so its author keeps watching when the stream is made private.
 */
export async function liveVisitor(request: FastifyRequest, read: StreamRead): Promise<Visitor> {
  if (read.visitor.user || !request.session?.userId) return read.visitor;
  const user = await sessionUser(request);
  return user ? { ...read.visitor, user: { id: user._id, admin: user.admin } } : read.visitor;
}

/** Remembers who a live viewer is, so a later change of the stream's access lets go of those it no longer admits, and only them. */
export function rememberViewer(transport: ViewerTransport, visitor: Visitor): void {
  visitors.set(transport, visitor);
}

/**
 * Headers for what only some may see: not kept by shared caches, not indexed. A public stream's
 * answer keeps the route's own.
 */
export function markRestricted(reply: FastifyReply, visibility: Visibility, cache?: string): void {
  if (visibility === 'public') return;
  reply.header('x-robots-tag', 'noindex, nofollow');
  if (cache) reply.header('cache-control', cache);
}

/** The hash of a working viewer key, if `key` is one. */
function linkOf(links: ReadonlyMap<string, unknown>, key: unknown): string | undefined {
  if (typeof key !== 'string' || !VIEWER_KEY_PATTERN.test(key)) return undefined;
  const hash = viewerKeyHash(key);
  return links.has(hash) ? hash : undefined;
}

function cookieName(request: FastifyRequest, slug: string): string {
  return `${request.server.loginCookies.secure === true ? '__Secure-' : ''}livelog_view_${slug}`;
}

/** A cookie for this stream only, so the page's live connection, feeds and photos work without the key. */
function rememberLink(request: FastifyRequest, reply: FastifyReply, slug: string, hash: string): void {
  reply.setCookie(cookieName(request, slug), hash, {
    signed: true,
    httpOnly: true,
    sameSite: 'lax',
    secure: request.server.loginCookies.secure,
    path: `/s/${slug}`,
    maxAge: VIEWER_COOKIE_SECONDS,
  });
}

async function cookieVisitor(request: FastifyRequest, slug: string): Promise<Visitor> {
  const visitor: Visitor = {};
  const raw = request.cookies[cookieName(request, slug)];
  if (raw) {
    const { valid, value } = request.unsignCookie(raw);
    if (valid && value) visitor.link = value;
  }
  const user = await sessionUser(request);
  if (user) visitor.user = { id: user._id, admin: user.admin };
  return visitor;
}

/** The API reads no cookies: a token whose user the stream admits (and scoped to it, if scoped). */
async function bearerVisitor(request: FastifyRequest, slug: string): Promise<Visitor> {
  const match = /^Bearer ([A-Za-z0-9_-]{1,200})$/.exec(request.headers.authorization ?? '');
  const use = match?.[1] ? await request.server.livelog.tokens.use(match[1]) : null;
  if (!use || (use.token.stream && use.token.stream !== slug)) return {};
  return { user: { id: use.user._id, admin: use.user.admin } };
}

/**
 * Once per projection: after each change to the stream itself (its visibility, links, members),
 * the live viewers it no longer admits are let go, on every instance, since each folds the log.
 * They reconnect and get what a stream that does not exist gets.
 */
function watchAccess(request: FastifyRequest, projection: StreamProjection): void {
  if (watched.has(projection)) return;
  watched.add(projection);
  const { hub } = request.server.livelog;
  const log = request.server.log;
  projection.on('change', (state: { kind: string }) => {
    if (state.kind !== 'status' || projection.access.visibility !== 'private') return;
    const access = projection.access;
    const cut = hub.cutWhere(projection.slug, (transport) => !admits(access, visitors.get(transport) ?? {}));
    if (cut > 0) log.info({ stream: projection.slug, viewers: cut }, 'viewers no longer admitted let go');
  });
}

/** The same address without its viewer key (a page's path, matched by its route: same origin). */
export function addressWithoutKey(url: string): string {
  const [path, query = ''] = url.split('?', 2);
  const params = new URLSearchParams(query);
  params.delete('key');
  const rest = params.toString();
  return rest ? `${path}?${rest}` : (path ?? '/');
}

/** Request logs without viewer keys: an address with `key=` would put a working key in every log. */
export function withoutViewerKey(url: string): string {
  return url.replace(/([?&]key=)[^&#]*/gi, '$1[redacted]');
}

/** What a request log line says of the request: Fastify's own fields, the address without keys. */
export function requestForLog(request: FastifyRequest) {
  return {
    method: request.method,
    url: withoutViewerKey(request.url),
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}
