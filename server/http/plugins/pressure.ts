import { getHeapStatistics } from 'node:v8';
import type { FastifyInstance } from 'fastify';
import underPressure from '@fastify/under-pressure';
import type { Logger } from 'pino';
import type { Config } from '../../config.ts';
import { sendError } from './errors.ts';

// Past an event-loop delay or a memory limit, new requests are answered 503 at once instead of
// queueing behind the work that slows the process: the viewers it already holds keep receiving
// (their connections are no longer requests), and the load balancer or client tries again later.

const MB = 1024 * 1024;
/** How often the process's load is measured, and the pressure's start and end looked for. */
const SAMPLE_MS = 1000;
const RETRY_AFTER_S = 10;
/** Liveness: a loaded process is still alive, and restarting it would drop every viewer. */
const EXEMPT_ROUTES = new Set(['/healthz']);

export interface PressureLimits {
  maxEventLoopDelay: number;
  maxHeapUsedBytes: number;
  maxRssBytes: number;
}

/** The limits from the configuration, in under-pressure's terms; 0 turns one off. */
export function pressureLimits(config: Config): PressureLimits {
  const heapMb = config.LIVELOG_MAX_HEAP_MB ?? Math.floor((getHeapStatistics().heap_size_limit * 0.9) / MB);
  return { maxEventLoopDelay: config.LIVELOG_MAX_EVENT_LOOP_DELAY_MS, maxHeapUsedBytes: heapMb * MB, maxRssBytes: config.LIVELOG_MAX_RSS_MB * MB };
}

export async function registerPressure(app: FastifyInstance, limits: PressureLimits, logger: Logger): Promise<void> {
  await app.register(underPressure, {
    ...limits,
    sampleInterval: SAMPLE_MS,
    pressureHandler: (request, reply) => {
      if (EXEMPT_ROUTES.has(request.routeOptions.url ?? '')) return;
      reply.header('retry-after', String(RETRY_AFTER_S));
      // Answered here, not thrown: the error handler would log every refused request, the very
      // flood a loaded process can least afford. The start and the end are logged instead.
      sendError(request, reply, 503, 'LIVELOG_UNDER_PRESSURE', 'The server is overloaded just now; try again in a few seconds');
    },
  });
  const watch = pressureWatch(() => app.isUnderPressure(), () => app.memoryUsage(), logger.child({ component: 'pressure' }));
  const timer = setInterval(watch, SAMPLE_MS).unref();
  app.addHook('onClose', async () => clearInterval(timer));
}

/** A check to run now and then that logs once when pressure starts and once when it ends. */
export function pressureWatch(isUnderPressure: () => boolean, usage: () => object, logger: Pick<Logger, 'warn' | 'info'>): () => void {
  let under = false;
  return () => {
    if (isUnderPressure() === under) return;
    under = !under;
    if (under) logger.warn({ usage: usage() }, 'under pressure: new requests get 503 until the load falls');
    else logger.info({ usage: usage() }, 'pressure over: serving new requests again');
  };
}
