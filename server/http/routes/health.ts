import type { FastifyInstance } from 'fastify';
import { DatabaseUnavailable } from '../../errors.ts';
import { statusOf } from '../plugins/errors.ts';

/** How long readiness waits for the database; a probe must answer even if a ping never does. */
const READY_TIMEOUT_MS = 2000;

export async function healthRoutes(app: FastifyInstance): Promise<void> {
  // Liveness: the process serves requests. It stays 200 while the database is down or restarting:
  // restarting Livelog would not bring the database back sooner, and viewers are still served.
  app.get('/healthz', { logLevel: 'warn' }, async () => ({ ok: true }));

  // Readiness: the database answers, so posts can be accepted. 503 while it is down (an embedded
  // one is being restarted meanwhile) and 200 again by itself once it answers.
  app.get('/readyz', { logLevel: 'warn' }, async (_request, reply) => {
    if (await app.livelog.database.ping(READY_TIMEOUT_MS)) return { ok: true };
    const error = new DatabaseUnavailable();
    reply.header('retry-after', '5');
    return reply.code(statusOf(error)).send({ ok: false, code: error.code, message: error.message });
  });
}
