import cluster from 'node:cluster';
import { createServer, type Server } from 'node:http';
import { register } from 'prom-client';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import { groupMetrics, type ProcessMetrics } from './group.ts';
import { enableMetrics, METRICS_CONTENT_TYPE, processMetrics } from './metrics.ts';

// The metrics endpoint: its own small node:http server on LIVELOG_METRICS_HOST:LIVELOG_METRICS_PORT,
// never a route of the public app. It answers GET /metrics and nothing else, reads no body, and
// holds no connection long: whoever reaches it can cost the server no more than a scrape.

export interface MetricsServer {
  close(): Promise<void>;
}

/** A scrape waits this long at most (the primary asking its workers included). */
const SCRAPE_TIMEOUT_MS = 10_000;
/** Prometheus keeps one connection per target; a few more leave room for a person with curl. */
const MAX_CONNECTIONS = 16;

interface Exposition {
  contentType: string;
  text(): Promise<string>;
}

/**
 * A single process (LIVELOG_WORKERS=1) serving its own metrics on LIVELOG_METRICS_PORT, if set. In a
 * cluster worker it only records: the primary serves them (a worker listening would share the port
 * with its siblings, and each scrape would show one worker at random).
 */
export async function serveProcessMetrics(config: Config, logger: Logger): Promise<MetricsServer | undefined> {
  if (config.LIVELOG_METRICS_PORT === undefined) return undefined;
  enableMetrics();
  if (cluster.isWorker) return undefined;
  return listen(config, logger, { contentType: METRICS_CONTENT_TYPE, text: processMetrics });
}

/**
 * The primary of a LIVELOG_WORKERS group: every worker's metrics and its own in one scrape, if the
 * port is set. It records its own from the call (main.ts calls enableMetrics earlier, so that the
 * shared relay's failures while the workers start are counted too).
 */
export async function servePrimaryMetrics(config: Config, logger: Logger): Promise<MetricsServer | undefined> {
  if (config.LIVELOG_METRICS_PORT === undefined) return undefined;
  enableMetrics();
  return listen(config, logger, { contentType: METRICS_CONTENT_TYPE, text: () => workersMetrics(WORKER_ANSWER_MS) });
}

/** How long a scrape waits for each worker: one that is stuck is left out, not allowed to blank the rest. */
const WORKER_ANSWER_MS = 2000;
// prom-client's own messages, answered by every worker (metrics.ts makes it listen). Its primary side
// (AggregatorRegistry.clusterMetrics) fails a whole scrape when one worker is slow, and throws in the
// primary when that worker's answer arrives after the timeout: it is not used here.
const METRICS_REQUEST = 'prom-client:getMetricsReq';
const METRICS_ANSWER = 'prom-client:getMetricsRes';
let nextRequest = 0;

/** Every worker's metrics and the primary's (group.ts), with how many workers did not answer. */
function workersMetrics(timeoutMs: number): Promise<string> {
  const requestId = `livelog-${nextRequest++}`;
  const workers = Object.values(cluster.workers ?? {}).filter((worker) => worker?.isConnected());
  const answers: ProcessMetrics[] = [];
  let pending = workers.length;
  return new Promise((resolve) => {
    const finish = () => {
      cluster.off('message', onAnswer);
      clearTimeout(timer);
      const unanswered = `# HELP livelog_workers_unanswered Workers that did not answer this scrape in time (their metrics are missing from it).\n# TYPE livelog_workers_unanswered gauge\nlivelog_workers_unanswered ${pending}\n`;
      resolve(register.getMetricsAsJSON().then((own) => groupMetrics(answers, own as ProcessMetrics)).then((text) => text + unanswered));
    };
    const onAnswer = (_worker: unknown, message: { type?: string; requestId?: string; metrics?: ProcessMetrics[] }) => {
      if (message?.type !== METRICS_ANSWER || message.requestId !== requestId) return;
      answers.push(...(message.metrics ?? []));
      if (--pending === 0) finish();
    };
    const timer = setTimeout(finish, timeoutMs);
    cluster.on('message', onAnswer);
    for (const worker of workers) worker?.send({ type: METRICS_REQUEST, requestId });
    if (pending === 0) finish();
  });
}

async function listen(config: Config, logger: Logger, exposition: Exposition): Promise<MetricsServer> {
  const log = logger.child({ component: 'metrics' });
  const port = config.LIVELOG_METRICS_PORT;
  // Whoever reaches the public port must never read the server's insides.
  if (port === config.PORT) throw new Error(`LIVELOG_METRICS_PORT must not be the public PORT (${port})`);
  // A scraper sends its request at once: a connection that holds back its headers holds one of the
  // few places (MAX_CONNECTIONS) and is cut within a second (checked twice a second).
  const timeouts = { requestTimeout: SCRAPE_TIMEOUT_MS, headersTimeout: 1000, keepAliveTimeout: 1000, connectionsCheckingInterval: 500 };
  const server = createServer(timeouts, (request, response) => {
    const path = request.url?.split('?', 1)[0];
    if ((request.method !== 'GET' && request.method !== 'HEAD') || path !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' }).end('Not found: GET /metrics\n');
      return;
    }
    exposition.text().then(
      (text) => response.writeHead(200, { 'content-type': exposition.contentType }).end(request.method === 'HEAD' ? undefined : text),
      (error: unknown) => {
        log.error({ err: error }, 'metrics could not be collected');
        response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('Metrics could not be collected\n');
      },
    );
  });
  server.maxConnections = MAX_CONNECTIONS;
  server.setTimeout(SCRAPE_TIMEOUT_MS, (socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, config.LIVELOG_METRICS_HOST, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((error: Error) => {
    throw new Error(`cannot serve metrics on ${config.LIVELOG_METRICS_HOST}:${port}: ${error.message}`);
  });
  server.on('error', (error) => log.error({ err: error }, 'metrics server error'));
  log.info({ host: config.LIVELOG_METRICS_HOST, port: addressPort(server) }, 'serving metrics at /metrics');
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function addressPort(server: Server): number | undefined {
  const address = server.address();
  return typeof address === 'object' && address ? address.port : undefined;
}
