import { envSchema } from 'env-schema';
import { Type, type Static } from '@sinclair/typebox';
import { trustedProxies } from './proxy-trust.ts';

/** `*` or origins (scheme://host[:port]), space-separated: nothing that could end the CSP directive. */
const EMBED_ORIGIN = String.raw`(\*|https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?)`;
const EMBED_ORIGINS_PATTERN = String.raw`^\s*${EMBED_ORIGIN}(\s+${EMBED_ORIGIN})*\s*$`;

// Every setting Livelog reads from the environment, checked once at start: a bad value stops the
// process with a message naming it, instead of failing later in the middle of an event.
const ConfigSchema = Type.Object({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000 }),
  HOST: Type.String({ minLength: 1, default: '127.0.0.1' }),
  MONGODB_URL: Type.Optional(Type.String({ pattern: '^mongodb(\\+srv)?://' })),
  /** Where people reach Livelog, e.g. https://live.example.org: https makes cookies Secure and
   *  __Host- prefixed. */
  LIVELOG_PUBLIC_URL: Type.Optional(Type.String({ pattern: '^https?://[^\\s]+$' })),
  LIVELOG_DB: Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_]{0,40}$', default: 'livelog' }),
  LIVELOG_DATA: Type.String({ minLength: 1, default: './data' }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info' },
  ),
  // How often each process probes the database for changes another process appended.
  LIVELOG_CATCHUP_MS: Type.Integer({ minimum: 20, maximum: 60_000, default: 250 }),
  // local: one instance. mongo: several instances on one database ring each other's doorbells and
  // add up their viewer counts through it.
  LIVELOG_RELAY: Type.Union([Type.Literal('local'), Type.Literal('mongo')], { default: 'local' }),
  LIVELOG_HEARTBEAT_MS: Type.Integer({ minimum: 50, maximum: 120_000, default: 20_000 }),
  LIVELOG_MAX_BUFFERED_BYTES: Type.Integer({ minimum: 1024, maximum: 1024 ** 3, default: 4 * 1024 * 1024 }),
  /** A viewer whose data waits while the kernel takes none of it for this long is cut; it resumes
   *  by seq when it reconnects. */
  LIVELOG_VIEWER_STALL_MS: Type.Integer({ minimum: 100, maximum: 600_000, default: 30_000 }),
  /** Live connections (websocket and SSE) this process holds (each worker of a LIVELOG_WORKERS
   *  group its own); past it, 503 with Retry-After. Default: 15,000, or less when the open-file
   *  limit is lower. */
  LIVELOG_MAX_VIEWERS: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
  /** Live connections from one client address, per process (each worker of a LIVELOG_WORKERS
   *  group its own); past it, 429. Generous: a stadium's Wi-Fi or a mobile carrier puts many people
   *  behind one address. */
  LIVELOG_MAX_VIEWERS_PER_ADDRESS: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 500 }),
  /** Stream projections kept in memory; past it, the least recently used one without viewers is
   *  dropped (it is read again from the database when next asked for). */
  LIVELOG_MAX_OPEN_STREAMS: Type.Integer({ minimum: 1, maximum: 100_000, default: 500 }),
  /** A stream without viewers and unused for this long is dropped from memory. */
  LIVELOG_STREAM_IDLE_MS: Type.Integer({ minimum: 100, maximum: 86_400_000, default: 600_000 }),
  /** Doorbells kept in the capped collection (LIVELOG_RELAY=mongo); only the last seconds matter. */
  LIVELOG_DOORBELL_MAX: Type.Integer({ minimum: 10, maximum: 1_000_000, default: 1000 }),
  /** Changes (posts, edits, pins, deletes, status, authors, purges) one user may make per minute,
   *  counted together across every route and every token of theirs (and every worker). */
  LIVELOG_CHANGES_PER_MINUTE: Type.Integer({ minimum: 1, maximum: 100_000, default: 120 }),
  LIVELOG_PRESENCE_MS: Type.Integer({ minimum: 100, maximum: 600_000, default: 5000 }),
  /** Reverse proxies whose X-Forwarded-For / X-Request-Id are believed: comma-separated addresses or
   *  CIDRs, or proxy-addr's names (loopback, linklocal, uniquelocal). Unset: nobody's. */
  LIVELOG_TRUST_PROXY: Type.Optional(Type.String({ pattern: '^[0-9A-Za-z.:/,\\s]{1,2000}$' })),
  /** Photo uploads handled at once; past it a new upload gets 503 with Retry-After. */
  LIVELOG_MAX_UPLOADS: Type.Integer({ minimum: 1, maximum: 1000, default: 4 }),
  /** Time to receive a whole request (headers and body): a dripping body is cut after it. */
  LIVELOG_REQUEST_TIMEOUT_MS: Type.Integer({ minimum: 500, maximum: 3_600_000, default: 120_000 }),
  /** Time to receive a request's headers. */
  LIVELOG_HEADERS_TIMEOUT_MS: Type.Integer({ minimum: 500, maximum: 3_600_000, default: 20_000 }),
  /** How long an idle keep-alive connection stays open between requests. */
  LIVELOG_KEEPALIVE_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 3_600_000, default: 10_000 }),
  /** Sites that may frame a stream's embed (/s/SLUG/embed): space-separated origins such as
   *  https://news.example.org, or * for any. Every other page refuses to be framed. */
  LIVELOG_EMBED_ORIGINS: Type.String({ pattern: EMBED_ORIGINS_PATTERN, default: '*' }),
  /** Processes serving the port together: a number, or auto for one per core. Past one they share
   *  the doorbell and viewer counts through the database (as LIVELOG_RELAY=mongo). */
  LIVELOG_WORKERS: Type.String({ pattern: '^(auto|[1-9][0-9]{0,2})$', default: '1' }),
  /** Port of the Prometheus metrics endpoint (GET /metrics); unset: no metrics. Never the public port. */
  LIVELOG_METRICS_PORT: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
  /** Address the metrics endpoint listens on. */
  LIVELOG_METRICS_HOST: Type.String({ minLength: 1, default: '127.0.0.1' }),
});

export type Config = Static<typeof ConfigSchema>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ''));
  const config = envSchema<Config>({ schema: ConfigSchema, data: cleaned, dotenv: false });
  // Checked here, not when the server is built, so that a bad list stops the start naming it.
  try {
    trustedProxies(config.LIVELOG_TRUST_PROXY);
  } catch (error) {
    throw new Error(`LIVELOG_TRUST_PROXY: ${(error as Error).message} (expected addresses or CIDRs, comma-separated, or loopback)`);
  }
  return config;
}
