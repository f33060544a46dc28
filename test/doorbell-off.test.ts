import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../server/app.ts';
import { loadConfig } from '../server/config.ts';
import type { Doorbell } from '../server/live/doorbell.ts';
import { databaseUrl, testApp, type TestApp } from './helpers.ts';
import { websocketViewer } from './viewer.ts';

// The doorbell-off path: the doorbell only cuts latency, and the catch-up loop alone must deliver
// every change another instance stores. Two ways to be without one: LIVELOG_RELAY=local on
// instances sharing a database (they cannot hear each other), and a shared doorbell that is down.

const CATCHUP_MS = '100';
let t: TestApp;
before(async () => {
  t = await testApp({ LIVELOG_CATCHUP_MS: CATCHUP_MS });
});
after(() => t.close());

/** A shared doorbell that is down: it rings nobody, hears nothing, and never vouches. */
const downDoorbell: Doorbell = { ring: () => {}, start: (_onRing, onHealth) => onHealth?.(false), stop: async () => {} };

async function otherInstance(relay: 'local' | 'mongo', doorbell?: Doorbell): Promise<{ app: FastifyInstance; base: string }> {
  const config = loadConfig({ MONGODB_URL: databaseUrl(), LIVELOG_DB: t.database.db.databaseName, LOG_LEVEL: 'silent', LIVELOG_RELAY: relay, LIVELOG_CATCHUP_MS: CATCHUP_MS });
  const app = await buildApp({ config, database: t.database, logger: pino({ level: 'silent' }), doorbell });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, base: `127.0.0.1:${(app.server.address() as { port: number }).port}` };
}

const api = (method: 'POST' | 'PATCH' | 'DELETE', path: string, payload?: object) =>
  t.app.inject({ method, url: `/api/streams/${t.slug}${path}`, headers: { authorization: `Bearer ${t.token}` }, payload });

/** Posts, an edit and a delete through instance A; every one must reach B's viewer once, in order. */
async function deliveredByCatchUpAlone(base: string): Promise<void> {
  const viewer = await websocketViewer(base, t.slug, '0');
  await viewer.waitFor((f) => f.some((x) => x.t === 'hello'));
  const seen = viewer.changes().length;
  const first = (await api('POST', '/posts', { body: 'first, unrung' })).json() as { id: string; seq: number };
  const second = (await api('POST', '/posts', { body: 'second, unrung' })).json() as { id: string; seq: number };
  const edit = (await api('PATCH', `/posts/${first.id}`, { body: 'first, edited' })).json() as { seq: number };
  const last = (await api('DELETE', `/posts/${second.id}`)).json() as { seq: number };
  await viewer.waitFor((f) => f.some((x) => x.seq === last.seq), 5000);
  const live = viewer.changes().slice(seen);
  assert.deepEqual(
    live.map((f) => [f.t, f.seq]),
    [
      ['post', first.seq],
      ['post', second.seq],
      ['edit', edit.seq],
      ['delete', last.seq],
    ],
  );
  viewer.close();
}

test('doorbell-off path: with LIVELOG_RELAY=local on two instances, catch-up alone delivers every post, edit and delete to the other instance\'s viewers, once and in order', async () => {
  const other = await otherInstance('local');
  try {
    await deliveredByCatchUpAlone(other.base);
  } finally {
    await other.app.close();
  }
});

test('doorbell-off path: with the shared doorbell down, catch-up alone delivers every change to the other instance\'s viewers, once and in order', async () => {
  const other = await otherInstance('mongo', downDoorbell);
  try {
    await deliveredByCatchUpAlone(other.base);
  } finally {
    await other.app.close();
  }
});
