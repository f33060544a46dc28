import type { Logger } from 'pino';
import type { Config } from '../config.ts';

// CONTRACT for the session-5 parallel work (metrics helper replaces the bodies; workers helper
// calls them from main.ts). Not yet implemented: both return undefined.

export interface MetricsServer {
  close(): Promise<void>;
}

/** A single process (LIVELOG_WORKERS=1) serving its own metrics on LIVELOG_METRICS_PORT, if set. */
export async function serveProcessMetrics(_config: Config, _logger: Logger): Promise<MetricsServer | undefined> {
  return undefined;
}

/** The primary of a LIVELOG_WORKERS group: every worker's metrics in one scrape, if the port is set. */
export async function servePrimaryMetrics(_config: Config, _logger: Logger): Promise<MetricsServer | undefined> {
  return undefined;
}
