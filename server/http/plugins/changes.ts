import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler, onResponseHookHandler } from 'fastify';
import type { UserRecord } from '../../auth/types.ts';
import { RateLimited, UploadsBusy } from '../../errors.ts';
import { statusOf } from './errors.ts';
import { sessionUser } from './sessions.ts';
import { observePublish } from '../../metrics/metrics.ts';

// Guards for every route that changes something, run in `onRequest`: before a byte of the body is
// read, the server knows who is asking, whether their change budget allows it and whether it has
// room to decode their photos. A stranger with a bad token and 40 MB of photos costs a header parse.
// A group of changing routes registers them once, in its own plugin (`guardChanges`): no route
// lists them, and a route outside the group (reading is public) never runs them.

declare module 'fastify' {
  interface FastifyRequest {
    /** Who makes this change: the token's user on the API, the signed-in user on pages. */
    changer?: UserRecord;
  }
  interface FastifyInstance {
    /** Made once for the whole app, so that every route spends from the same budgets. */
    changeGuards: ChangeGuards;
  }
}

/** How a group of routes knows who makes a change. */
export type ChangerIdentity = 'bearer' | 'session';

/** The guards of changing routes, made once so that every group shares the same budgets. */
export interface ChangeGuards {
  /** Bearer token (the API): 401/403 before the body. */
  bearer: onRequestHookHandler;
  /** Signed-in user (pages): JSON 401 for the page's script, a redirect to the log-in page otherwise. */
  session: onRequestHookHandler;
  /** One budget per user, shared by every kind of change on every route and by all their tokens. */
  budget: onRequestHookHandler;
  /** A slot among LIVELOG_MAX_UPLOADS for a multipart body, held until the answer is sent. */
  uploadSlot: onRequestHookHandler;
}

/** Decorates the app with its change guards; after the security plugins (rate limit) are in. */
export function registerChangeGuards(app: FastifyInstance): void {
  app.decorate('changeGuards', changeGuards(app));
}

/**
 * Makes `group` (a route group's own plugin, before its routes) a group of changing routes: each
 * of its requests is identified, then spends from the changer's budget, then takes an upload slot
 * if it carries photos; all before the body is read, in that order.
 */
export function guardChanges(group: FastifyInstance, identity: ChangerIdentity): void {
  const guards = group.changeGuards;
  group.addHook('onRequest', guards[identity]);
  group.addHook('onRequest', guards.budget);
  group.addHook('onRequest', guards.uploadSlot);
  group.addHook('onResponse', timePublish);
}

/** A change served, timed from its first byte (photos included) to its answer. */
const timePublish: onResponseHookHandler = async (request, reply) => {
  if (request.method !== 'GET' && reply.statusCode < 400) observePublish(reply.elapsedTime / 1000);
};

function changeGuards(app: FastifyInstance): ChangeGuards {
  const { config, tokens } = app.livelog;

  const bearer: onRequestHookHandler = async (request, reply) => {
    const match = /^Bearer ([A-Za-z0-9_-]{1,200})$/.exec(request.headers.authorization ?? '');
    const use = match?.[1] ? await tokens.use(match[1]) : null;
    if (!use) {
      closeAfterRefusal(request, reply);
      reply.header('www-authenticate', 'Bearer');
      return reply.unauthorized('A valid API token is needed: Authorization: Bearer TOKEN');
    }
    const { slug } = request.params as { slug?: string };
    if (use.token.stream && use.token.stream !== slug) {
      closeAfterRefusal(request, reply);
      return reply.forbidden(`This token may only write to the stream "${use.token.stream}"`);
    }
    request.changer = use.user;
  };

  const session: onRequestHookHandler = async (request, reply) => {
    const user = await sessionUser(request);
    if (!user) {
      closeAfterRefusal(request, reply);
      if (wantsJson(request)) {
        return reply.unauthorized('Your session has ended: log in again (your draft is kept)');
      }
      const { slug } = request.params as { slug?: string };
      return reply.redirect(`/login?next=${encodeURIComponent(slug ? `/s/${slug}` : '/')}`, 303);
    }
    request.changer = user;
  };

  const limiter = app.rateLimit({
    max: config.LIVELOG_CHANGES_PER_MINUTE,
    timeWindow: 60_000,
    keyGenerator: (request: FastifyRequest) => `changes:${request.changer?._id ?? request.ip}`,
    errorResponseBuilder: (_request: FastifyRequest, context: { after: string }) => {
      const error = new RateLimited(context.after);
      return { statusCode: statusOf(error), code: error.code, error: 'Too Many Requests', message: error.message };
    },
  });
  const budget: onRequestHookHandler = async function (request, reply) {
    try {
      await limiter.call(this, request, reply);
    } catch (error) {
      closeAfterRefusal(request, reply);
      throw error;
    }
  };

  let uploadsInFlight = 0;
  const uploadSlot: onRequestHookHandler = async (request, reply) => {
    // A multipart body to a route that takes no photos never gets here: plugins/security.ts refuses it.
    if (!request.headers['content-type']?.toLowerCase().startsWith('multipart/')) return;
    if (uploadsInFlight >= config.LIVELOG_MAX_UPLOADS) {
      closeAfterRefusal(request, reply);
      throw new UploadsBusy(); // a 503: the error handler adds Retry-After
    }
    uploadsInFlight++;
    // 'close' fires once, whether the answer was sent or the client went away mid-upload.
    reply.raw.once('close', () => uploadsInFlight--);
  };

  return { bearer, session, budget, uploadSlot };
}

/** Who makes this change; only a route in a `guardChanges` group (or the admin's) has one. */
export function changerOf(request: FastifyRequest): UserRecord {
  if (!request.changer) throw new Error(`${request.routeOptions.url} changes without a changer: it is outside a guarded group`);
  return request.changer;
}

/**
 * A refusal before the body is read closes the connection after the answer: otherwise Node would
 * go on receiving (and discarding) whatever the client keeps sending to keep the connection alive.
 * A trusted reverse proxy keeps its connection (plugins/security.ts lifts the close for all refusals).
 */
function closeAfterRefusal(request: FastifyRequest, reply: FastifyReply): void {
  const length = Number(request.headers['content-length'] ?? 0);
  if (length > 0 || request.headers['transfer-encoding']) reply.header('connection', 'close');
}

/** The page's script asks for JSON (answers and refusals it can show in place); a plain form gets pages. */
export function wantsJson(request: FastifyRequest): boolean {
  return (request.headers.accept ?? '').includes('application/json');
}
