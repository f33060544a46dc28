import { Type } from './typebox.ts';

/** `*` or origins (scheme://host[:port]), space-separated: nothing that could end the CSP directive. */
const EMBED_ORIGIN = String.raw`(\*|https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?)`;
const EMBED_ORIGINS_PATTERN = String.raw`^\s*${EMBED_ORIGIN}(\s+${EMBED_ORIGIN})*\s*$`;

/** A host name or an IPv4/IPv6 address to listen on. */
const HOST_PATTERN = String.raw`^([0-9A-Fa-f:.]+|[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*)$`;

// Every setting Livelog reads from the environment, checked once at start: a bad value stops the
// process with a message naming it, instead of failing later in the middle of an event. Each one's
// `description` is its line in the README's configuration table (scripts/config-table.ts writes
// it; a unit test fails when they differ); `defaultText` says a default that is computed at start.
export const ConfigSchema = Type.Object({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000, description: 'HTTP port' }),
  HOST: Type.String({ pattern: HOST_PATTERN, default: '127.0.0.1', description: 'address to listen on (`0.0.0.0` to serve a network)' }),
  MONGODB_URL: Type.Optional(
    Type.String({ pattern: '^mongodb(\\+srv)?://', description: 'a MongoDB (6+) or FerretDB to use; unset starts the embedded FerretDB' }),
  ),
  LIVELOG_DATA: Type.String({
    minLength: 1,
    default: './data',
    description: 'where the embedded database keeps its files and its socket (made private: 0700 folders, 0600 files)',
  }),
  LIVELOG_DB: Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_]{0,40}$', default: 'livelog', description: 'database name' }),
  LIVELOG_PUBLIC_URL: Type.Optional(
    Type.String({
      pattern: '^https?://[^\\s]+$',
      description:
        "the address people use; `https://…` makes the session cookie `Secure` and `__Host-` prefixed; feeds, canonical links and sharing tags are built from it (unset: from the request's `Host`)",
    }),
  ),
  LIVELOG_EMBED_ORIGINS: Type.String({
    pattern: EMBED_ORIGINS_PATTERN,
    default: '*',
    description:
      "sites that may frame a stream's embed (`/s/SLUG/embed`): space-separated origins like `https://news.example.org`, or `*` for any; every other page refuses to be framed",
  }),
  LIVELOG_CHANGES_PER_MINUTE: Type.Integer({
    minimum: 1,
    maximum: 100_000,
    default: 120,
    description:
      'changes (posts, edits, pins, deletes, status, authors, purges) one user may make a minute, all routes and all their tokens together (reading is never limited)',
  }),
  LIVELOG_TRUST_PROXY: Type.Optional(
    Type.String({
      pattern: '^[0-9A-Za-z.:/,\\s]{1,2000}$',
      description:
        'reverse proxies whose `X-Forwarded-For` and `X-Request-Id` are believed: comma-separated addresses or CIDRs, or `loopback`; unset believes nobody, so rate limits and logs see the connecting address',
    }),
  ),
  LIVELOG_MAX_UPLOADS: Type.Integer({
    minimum: 1,
    maximum: 1000,
    default: 4,
    description: 'photo uploads handled at once; past it 503 with `Retry-After` (each may hold up to 25 MB)',
  }),
  LIVELOG_REQUEST_TIMEOUT_MS: Type.Integer({
    minimum: 500,
    maximum: 3_600_000,
    default: 120_000,
    description: 'a request (headers and body) must arrive within this, or its connection is cut; lower it if authors upload over good links',
  }),
  LIVELOG_HEADERS_TIMEOUT_MS: Type.Integer({
    minimum: 500,
    maximum: 3_600_000,
    default: 20_000,
    description: "a request's headers must arrive within this",
  }),
  LIVELOG_KEEPALIVE_TIMEOUT_MS: Type.Integer({
    minimum: 100,
    maximum: 3_600_000,
    default: 10_000,
    description: 'idle keep-alive connections are closed after this',
  }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info', description: 'pino level; logs are JSON lines on stdout (`npm run dev` shows them readable)' },
  ),
  LIVELOG_CATCHUP_MS: Type.Integer({
    minimum: 20,
    maximum: 60_000,
    default: 250,
    description:
      'how often each process checks the streams it shows for changes other processes wrote, while no doorbell vouches for them (always with `LIVELOG_RELAY=local`)',
  }),
  LIVELOG_CATCHUP_SAFETY_MS: Type.Integer({
    minimum: 100,
    maximum: 600_000,
    default: 5000,
    description:
      'how often it checks while the doorbell of `LIVELOG_RELAY=mongo` (or the change stream of `changestream`) is healthy: a safety net for a lost ring (it goes back to `LIVELOG_CATCHUP_MS` when the doorbell fails or a ring is missed)',
  }),
  LIVELOG_RELAY: Type.Union([Type.Literal('local'), Type.Literal('mongo'), Type.Literal('changestream')], {
    default: 'local',
    description:
      '`mongo` when several instances share one database: they ring each other through a capped `doorbell` collection and add up viewer counts; `changestream` on a MongoDB replica set: each instance watches the `changes` collection instead of the doorbell (refused at start on FerretDB or a standalone MongoDB). See "Several instances: which relay"',
  }),
  LIVELOG_DOORBELL_MAX: Type.Integer({
    minimum: 10,
    maximum: 1_000_000,
    default: 10,
    description: 'doorbells the capped collection keeps (FerretDB reads them all at every read of the doorbell: keep it small)',
  }),
  LIVELOG_DOORBELL_POLL_MS: Type.Integer({
    minimum: 10,
    maximum: 5000,
    default: 150,
    description:
      'on FerretDB, how often each instance reads the doorbell when it has nothing new: it adds up to this to the delivery time across instances, and each read costs FerretDB about a millisecond of CPU (MongoDB waits for new rings instead)',
  }),
  LIVELOG_PRESENCE_MS: Type.Integer({
    minimum: 100,
    maximum: 600_000,
    default: 5000,
    description: 'how often viewer counts are reported and summed',
  }),
  LIVELOG_TOKEN_TRUST_MS: Type.Integer({
    minimum: 0,
    maximum: 60_000,
    default: 5000,
    description:
      'how long a process trusts an API token it has checked (saves two database reads per call); a token revoked, or a user disabled or given a lesser role (admin to author, author to contributor), elsewhere (another instance or worker, the command line) keeps its old powers here up to this time, and at once where it happened. 0: checked on every call',
  }),
  LIVELOG_HEARTBEAT_MS: Type.Integer({
    minimum: 50,
    maximum: 120_000,
    default: 20_000,
    description: 'ping frame and liveness probe interval; dead websockets are terminated',
  }),
  LIVELOG_MAX_BUFFERED_BYTES: Type.Integer({
    minimum: 1024,
    maximum: 1024 ** 3,
    default: 4 * 1024 * 1024,
    description: 'unsent bytes after which a slow viewer is cut off (it resumes by seq)',
  }),
  LIVELOG_VIEWER_STALL_MS: Type.Integer({
    minimum: 100,
    maximum: 600_000,
    default: 30_000,
    description: 'a viewer whose data waits while the kernel takes none of it for this long is cut off (it resumes by seq)',
  }),
  LIVELOG_MAX_VIEWERS: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: 1_000_000,
      defaultText: '15,000, or the open-file limit less 1,024 if lower',
      description: 'live connections (websocket and SSE together) per process (each worker of `LIVELOG_WORKERS` its own); past it, new ones get 503',
    }),
  ),
  LIVELOG_MAX_VIEWERS_PER_ADDRESS: Type.Integer({
    minimum: 1,
    maximum: 1_000_000,
    default: 500,
    description: 'live connections from one client address, per process (each worker its own); past it, 429',
  }),
  LIVELOG_MAX_OPEN_STREAMS: Type.Integer({
    minimum: 1,
    maximum: 100_000,
    default: 500,
    description: 'stream projections kept in memory; past it the least recently used one without viewers is dropped',
  }),
  LIVELOG_STREAM_IDLE_MS: Type.Integer({
    minimum: 100,
    maximum: 86_400_000,
    default: 600_000,
    description: 'a stream without viewers unused this long is dropped from memory',
  }),
  LIVELOG_MAX_EVENT_LOOP_DELAY_MS: Type.Integer({
    minimum: 0,
    maximum: 60_000,
    default: 1000,
    description:
      'past this mean event-loop delay (sampled each second) new requests get 503 with `Retry-After` while open live connections keep being served; `0` turns the check off',
  }),
  LIVELOG_MAX_HEAP_MB: Type.Optional(
    Type.Integer({
      minimum: 0,
      maximum: 1_048_576,
      defaultText: "90% of Node's heap limit",
      description: 'past this much JavaScript heap in use, new requests get 503 with `Retry-After` (as above); `0` turns the check off',
    }),
  ),
  LIVELOG_MAX_RSS_MB: Type.Integer({
    minimum: 0,
    maximum: 1_048_576,
    default: 0,
    description: "past this much resident memory (heap, buffers and the photo encoder's), new requests get 503 with `Retry-After`; `0` (the default) turns the check off",
  }),
  LIVELOG_WORKERS: Type.String({
    pattern: '^(auto|[1-9][0-9]{0,2})$',
    default: '1',
    description:
      'processes serving the port together: a number, or `auto` for one per core; past one they share the doorbell and viewer counts through the database (as `LIVELOG_RELAY=mongo`, or `changestream` if set)',
  }),
  LIVELOG_METRICS_PORT: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: 65535,
      description: 'port of the Prometheus metrics endpoint (`GET /metrics`); unset: no metrics; never the public port',
    }),
  ),
  LIVELOG_METRICS_HOST: Type.String({ pattern: HOST_PATTERN, default: '127.0.0.1', description: 'address the metrics endpoint listens on' }),
});
