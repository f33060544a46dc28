import { randomUUID } from 'node:crypto';
import type { Db } from 'mongodb';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import type { Database, DatabaseHealth } from './db/database.ts';
import { MongoChangeStore } from './log/mongo-store.ts';
import { Projections } from './log/projections.ts';
import { purgePost, type PurgeResult } from './log/purge.ts';
import { Streams } from './log/streams.ts';
import { MongoScheduleHints, type ScheduleHints } from './log/schedule-hints.ts';
import { Scheduler } from './log/scheduler.ts';
import { type HistoryPage, streamHistory } from './log/history.ts';
import type { StreamProjection } from './log/projection.ts';
import { LiveHub } from './live/hub.ts';
import { projectionFeed, type ProjectionHub } from './live/projection-feed.ts';
import { defaultMaxViewers, ViewerAdmission } from './live/admission.ts';
import type { Doorbell } from './live/doorbell.ts';
import { LocalDoorbell } from './live/doorbell-local.ts';
import { MongoDoorbell } from './live/doorbell-mongo.ts';
import { assertChangeStreams, ChangeStreamDoorbell, watchChanges } from './live/doorbell-changestream.ts';
import { type Presence, ViewerCounts } from './live/presence.ts';
import { LocalPresence } from './live/presence-local.ts';
import { MongoPresence } from './live/presence-mongo.ts';
import { Users } from './auth/users.ts';
import { Tokens } from './auth/tokens.ts';
import { Images } from './media/images.ts';
import { registerSecurity } from './http/plugins/security.ts';
import { requestIdGenerator } from './http/plugins/proxies.ts';
import { trustedProxies, type TrustProxy } from './proxy-trust.ts';
import { registerChangeGuards } from './http/plugins/changes.ts';
import { requestForLog } from './http/plugins/stream-access.ts';
import { registerSessions } from './http/plugins/sessions.ts';
import { clientErrorHandler, registerErrors } from './http/plugins/errors.ts';
import { pressureLimits, registerPressure } from './http/plugins/pressure.ts';
import { registerAssets } from './http/plugins/assets.ts';
import { healthRoutes } from './http/routes/health.ts';
import { mediaRoutes } from './http/routes/media.ts';
import { authRoutes } from './http/routes/auth.ts';
import { homeRoutes } from './http/routes/home.ts';
import { pageRoutes } from './http/routes/pages.ts';
import { authorRoutes } from './http/routes/author.ts';
import { adminRoutes } from './http/routes/admin.ts';
import { liveRoutes } from './http/routes/live.ts';
import { apiRoutes } from './http/routes/api.ts';
import { feedRoutes } from './http/routes/feeds.ts';
import { embedRoutes } from './http/routes/embed.ts';
import { reviewRoutes } from './http/routes/review.ts';
import { scheduleRoutes } from './http/routes/schedule.ts';
import { enableMetrics, watchViewers } from './metrics/metrics.ts';

/** The services every route can reach as `app.livelog`. */
export interface Livelog {
  config: Config;
  /** LIVELOG_TRUST_PROXY, compiled once: Fastify's request.ip and the change guards both use it. */
  trustProxy: TrustProxy;
  /** Whether the database answers; routes never get the database itself. */
  database: DatabaseHealth;
  projections: Projections;
  /** A page of a stream's changes, newest first, read back from its log (the admin's history). */
  history(projection: StreamProjection, before?: number): Promise<HistoryPage>;
  /** Redacts a post's old versions (all once deleted) and the photos nothing else shows. */
  purge(stream: string, postId: string): Promise<PurgeResult | null>;
  streams: Streams;
  /** Where scheduled posts are noted for every instance's scheduler. */
  scheduleHints: ScheduleHints;
  hub: ProjectionHub;
  /** Places for live connections, per client address and in all. */
  admission: ViewerAdmission;
  users: Users;
  tokens: Tokens;
  images: Images;
}

declare module 'fastify' {
  interface FastifyInstance {
    livelog: Livelog;
  }
}

export interface AppOptions {
  config: Config;
  database: Database;
  logger: Logger;
  /** How this instance hears others: a group's worker gets its primary's (main.ts); else by LIVELOG_RELAY. */
  doorbell?: Doorbell;
  /** How this instance adds up viewer counts with others: likewise, the primary's for a worker. */
  presence?: Presence;
}

/** How often each instance looks for scheduled posts whose time has come: how late one may be. */
const SCHEDULER_POLL_MS = 1000;

/**
 * How instances sharing the database hear each other (a group's primary uses it for all its
 * workers): a change stream on a replica set if LIVELOG_RELAY says so, else the doorbell collection. A
 * database without change streams is refused here, at start, rather than left to fail quietly.
 */
export async function sharedDoorbell(config: Config, db: Db, logger: Logger): Promise<Doorbell> {
  if (config.LIVELOG_RELAY === 'changestream') {
    await assertChangeStreams(db);
    return new ChangeStreamDoorbell(watchChanges(db), logger.child({ component: 'changestream' }));
  }
  return new MongoDoorbell(db, logger.child({ component: 'doorbell' }), {
    maxDocuments: config.LIVELOG_DOORBELL_MAX,
    pollMs: config.LIVELOG_DOORBELL_POLL_MS,
  });
}

/** The whole application as a Fastify instance, without listening: tests call `inject()` on it. */
export async function buildApp({ config, database, logger, doorbell: givenDoorbell, presence }: AppOptions): Promise<FastifyInstance> {
  const trustProxy = trustedProxies(config.LIVELOG_TRUST_PROXY);
  const app = Fastify({
    // Request lines without viewer keys (stream-access.ts): a key in a log is a key anyone may use.
    loggerInstance: logger.child({}, { serializers: { req: requestForLog } }) as FastifyServerOptions['loggerInstance'],
    // request.ip is the client's address: X-Forwarded-For counts only through configured proxies.
    trustProxy,
    bodyLimit: 256 * 1024,
    // Request ids unique across instances and restarts, or a trusted proxy's own.
    requestIdHeader: false,
    genReqId: requestIdGenerator(trustProxy),
    // A request must arrive whole within these, or its connection is cut: a client dripping a body
    // (or headers) a byte at a time cannot hold a connection and its buffers for minutes.
    requestTimeout: config.LIVELOG_REQUEST_TIMEOUT_MS,
    keepAliveTimeout: config.LIVELOG_KEEPALIVE_TIMEOUT_MS,
    http: {
      headersTimeout: Math.min(config.LIVELOG_HEADERS_TIMEOUT_MS, config.LIVELOG_REQUEST_TIMEOUT_MS),
      // Node checks those timeouts on this interval (30 s by default): check often enough to honour them.
      connectionsCheckingInterval: Math.min(1000, config.LIVELOG_HEADERS_TIMEOUT_MS),
    },
    clientErrorHandler,
    // No type coercion: a number where text belongs is a 400, not a string "42".
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
  });

  // Recording costs nothing until the metrics port is set (served by metrics/serve.ts, from main.ts).
  if (config.LIVELOG_METRICS_PORT !== undefined) enableMetrics();
  const instance = randomUUID();
  // LIVELOG_RELAY: whether instances share the doorbell and viewer counts through the database.
  const shared = config.LIVELOG_RELAY !== 'local';
  const doorbell: Doorbell = givenDoorbell ?? (shared ? await sharedDoorbell(config, database.db, logger) : new LocalDoorbell());
  const hub: ProjectionHub = new LiveHub(
    logger.child({ component: 'hub' }),
    { heartbeatMs: config.LIVELOG_HEARTBEAT_MS, maxBufferedBytes: config.LIVELOG_MAX_BUFFERED_BYTES, stallMs: config.LIVELOG_VIEWER_STALL_MS },
    projectionFeed,
  );
  const store = new MongoChangeStore(database);
  const images = new Images(database);
  const projections = new Projections({
    store,
    logger: logger.child({ component: 'projections' }),
    catchUpMs: config.LIVELOG_CATCHUP_MS,
    catchUpSafetyMs: config.LIVELOG_CATCHUP_SAFETY_MS,
    onAppended: (stream, seq) => doorbell.ring(stream, seq),
    watched: hub,
    maxOpen: config.LIVELOG_MAX_OPEN_STREAMS,
    idleMs: config.LIVELOG_STREAM_IDLE_MS,
  });
  const viewerCounts = new ViewerCounts(
    hub,
    presence ?? (shared ? new MongoPresence(database.db, instance, config.LIVELOG_PRESENCE_MS, logger.child({ component: 'presence' })) : new LocalPresence(instance, config.LIVELOG_PRESENCE_MS)),
    logger.child({ component: 'presence' }),
    config.LIVELOG_PRESENCE_MS,
  );
  const scheduleHints = new MongoScheduleHints(database);
  const scheduler = new Scheduler({
    hints: scheduleHints,
    projection: (slug) => projections.get(slug),
    logger: logger.child({ component: 'scheduler' }),
    pollMs: SCHEDULER_POLL_MS,
  });
  const users = new Users(database);
  const tokens = new Tokens(database, config.LIVELOG_TOKEN_TRUST_MS);
  users.onChange((userId) => tokens.forgetUser(userId));
  app.decorate('livelog', {
    config,
    trustProxy,
    database,
    projections,
    purge: (stream, postId) => purgePost(store, images, stream, postId),
    history: (projection, before) => streamHistory(store, projection.slug, projection.head, before),
    streams: new Streams(store),
    scheduleHints,
    hub,
    admission: new ViewerAdmission(config.LIVELOG_MAX_VIEWERS ?? defaultMaxViewers(), config.LIVELOG_MAX_VIEWERS_PER_ADDRESS),
    users,
    tokens,
    images,
  } satisfies Livelog);

  await registerErrors(app);
  await registerPressure(app, pressureLimits(config), logger);
  await registerSecurity(app);
  await registerSessions(app, database, config.LIVELOG_PUBLIC_URL);
  registerChangeGuards(app);
  await registerAssets(app);
  await app.register(healthRoutes);
  await app.register(mediaRoutes);
  await app.register(authRoutes);
  await app.register(homeRoutes);
  await app.register(pageRoutes);
  await app.register(authorRoutes);
  await app.register(reviewRoutes);
  await app.register(scheduleRoutes);
  await app.register(adminRoutes);
  await app.register(liveRoutes);
  await app.register(feedRoutes);
  await app.register(embedRoutes);
  await app.register(apiRoutes, { prefix: '/api' });

  projections.startCatchUp();
  scheduler.start();
  doorbell.start(
    (stream, seq) => projections.onRing(stream, seq),
    (healthy) => projections.onDoorbellHealth(healthy),
  );
  viewerCounts.start();
  const unwatchViewers = watchViewers(hub);
  app.addHook('preClose', async () => {
    unwatchViewers();
    projections.stop();
    scheduler.stop();
    viewerCounts.stop();
    await doorbell.stop();
    hub.close();
  });
  return app;
}
