import type { FastifyInstance } from 'fastify';

export async function healthRoutes(app: FastifyInstance): Promise<void> {
  // Liveness: the process serves requests.
  app.get('/healthz', { logLevel: 'warn' }, async () => ({ ok: true }));

  // Readiness: the database answers, so posts can be accepted.
  app.get('/readyz', { logLevel: 'warn' }, async (_request, reply) => {
    try {
      await app.livelog.database.db.command({ ping: 1 }, { timeoutMS: 2000 });
      return { ok: true };
    } catch {
      return reply.code(503).send({ ok: false, message: 'The database is not answering' });
    }
  });
}
