import cluster from 'node:cluster';
import { createServer, type Server } from 'node:http';
import { AggregatorRegistry } from 'prom-client';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
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

/** The primary of a LIVELOG_WORKERS group: every worker's metrics in one scrape, if the port is set. */
export async function servePrimaryMetrics(config: Config, logger: Logger): Promise<MetricsServer | undefined> {
  if (config.LIVELOG_METRICS_PORT === undefined) return undefined;
  // Asks each worker for its registry and adds them up, each metric by its own aggregator.
  const workers = new AggregatorRegistry();
  return listen(config, logger, { contentType: workers.contentType, text: () => workers.clusterMetrics() });
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
