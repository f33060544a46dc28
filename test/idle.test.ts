import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import type { CommandStartedEvent } from 'mongodb';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../server/app.ts';
import { loadConfig } from '../server/config.ts';
import { connectDatabase, type Database } from '../server/db/database.ts';
import { MongoChangeStore } from '../server/log/mongo-store.ts';
import { loadStreamProjection } from '../server/log/projection.ts';
import { publishPost } from '../server/log/commands.ts';
import { Streams } from '../server/log/streams.ts';
import { databaseUrl, testApp, type TestApp } from './helpers.ts';
import { websocketViewer, type TestViewer } from './viewer.ts';

// An idle instance costs the database almost nothing (issue 13): with the doorbell healthy, the
// catch-up loop is a safety net every LIVELOG_CATCHUP_SAFETY_MS, presence writes only what changed,
// and the doorbell is read every LIVELOG_DOORBELL_POLL_MS. Counted with the driver's command
// monitoring on a connection of the idle instance's own.

const SAFETY_MS = 2000;
const POLL_MS = 100;
const PRESENCE_MS = 500;
const STREAMS = ['one', 'two', 'three', 'four', 'five'];
const env = {
  LIVELOG_RELAY: 'mongo',
  LIVELOG_CATCHUP_MS: '100',
  LIVELOG_CATCHUP_SAFETY_MS: String(SAFETY_MS),
  LIVELOG_DOORBELL_POLL_MS: String(POLL_MS),
  LIVELOG_PRESENCE_MS: String(PRESENCE_MS),
};

let t: TestApp;
let idle: FastifyInstance;
let idleDatabase: Database;
const viewers: TestViewer[] = [];
const commands: CommandStartedEvent[] = [];
before(async () => {
  t = await testApp(env);
  const streams = new Streams(new MongoChangeStore(t.database));
  for (const slug of STREAMS) await streams.create(slug, slug, t.author._id);
  const dbName = t.database.db.databaseName;
  const url = new URL(databaseUrl());
  url.searchParams.set('monitorCommands', 'true'); // it must be set before connecting
  idleDatabase = await connectDatabase(url.href, dbName);
  idleDatabase.client.on('commandStarted', (event) => commands.push(event));
  const config = loadConfig({ MONGODB_URL: databaseUrl(), LIVELOG_DB: dbName, LOG_LEVEL: 'silent', ...env });
  idle = await buildApp({ config, database: idleDatabase, logger: pino({ level: 'silent' }) });
  await idle.listen({ port: 0, host: '127.0.0.1' });
  const base = `127.0.0.1:${(idle.server.address() as { port: number }).port}`;
  for (const slug of [t.slug, ...STREAMS]) viewers.push(await websocketViewer(base, slug, '0'));
});
after(async () => {
  for (const viewer of viewers) viewer.close();
  await idle?.close();
  await idleDatabase?.close();
  await t.close();
});

/** Commands the idle instance sends in `ms`, by command name and collection. */
async function commandsDuring(ms: number): Promise<Map<string, number>> {
  commands.length = 0;
  await new Promise((r) => setTimeout(r, ms));
  const counts = new Map<string, number>();
  for (const { commandName, command } of commands) {
    const key = `${commandName} ${command[commandName] === undefined ? '' : String(command.collection ?? command[commandName])}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

test('an idle instance with a healthy doorbell and six watched streams sends the database a few commands a second', async () => {
  // Viewers are in; the doorbell proves itself and the fast spell after it passes.
  await new Promise((r) => setTimeout(r, 1500));
  const windowMs = 2 * SAFETY_MS;
  const counts = await commandsDuring(windowMs);
  const count = (key: string) => counts.get(key) ?? 0;
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  const seen = JSON.stringify(Object.fromEntries(counts));
  // At most 3 safety rounds in the window, one point lookup per watched stream on FerretDB, or one
  // `$in` query on MongoDB (it was every 100 ms for each stream: 240 here).
  assert.ok(count('find changes') <= 3 * (1 + STREAMS.length), seen);
  // The counts did not change: only the keep-alive, every other round (the 10th round at the
  // default 5 s), and one read a round.
  assert.ok(count('update presence') <= windowMs / (2 * PRESENCE_MS) + 1, seen);
  assert.ok(count('find presence') <= windowMs / PRESENCE_MS + 1, seen);
  // The doorbell read every POLL_MS (a timer: a little slower, never faster); seeing it proves the
  // monitoring sees this instance's commands at all.
  assert.ok(count('getMore doorbell') >= windowMs / POLL_MS / 4, seen);
  assert.ok(count('getMore doorbell') <= windowMs / POLL_MS + 2, seen);
  assert.ok(total / (windowMs / 1000) < 20, `${total} commands in ${windowMs} ms: ${seen}`);
});

test('a change whose ring is lost still reaches viewers of every instance, by the safety net', async () => {
  const viewer = viewers[0]!;
  // Another process appends without ringing: only the catch-up loop can find it.
  const elsewhere = (await loadStreamProjection(new MongoChangeStore(t.database), t.slug))!;
  const actor = { id: t.author._id, name: t.author.name, admin: true };
  const { record } = await publishPost(elsewhere, { actor, body: 'never rung', key: 'unrung-1' });
  const started = Date.now();
  await viewer.waitFor((f) => f.some((x) => x.seq === record.seq), SAFETY_MS + 2000);
  assert.ok(Date.now() - started <= SAFETY_MS + 1000, `arrived after ${Date.now() - started} ms`);
});
