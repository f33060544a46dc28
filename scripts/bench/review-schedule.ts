import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../server/app.ts';
import { loadConfig } from '../../server/config.ts';
import { roleChange, Users } from '../../server/auth/users.ts';
import { Tokens } from '../../server/auth/tokens.ts';
import { addAuthor, AUTHOR_PASSWORD, databaseUrl, testApp, type TestApp } from '../../test/helpers.ts';

// Approvals raced by two instances, and scheduled posts all due at once on two instances: how many
// publications each makes (one per post) and how late scheduled posts go out. On a FerretDB that
// scripts/with-database.ts starts:
//   npx tsx scripts/with-database.ts node --import tsx scripts/bench/review-schedule.ts
const N = Number(process.env.POSTS ?? 20);
let t: TestApp;
let b: FastifyInstance;
let ctoken: string;
{
  const env = { LIVELOG_RELAY: 'mongo' };
  t = await testApp(env);
  b = await buildApp({ config: loadConfig({ MONGODB_URL: databaseUrl(), LIVELOG_DB: t.database.db.databaseName, LOG_LEVEL: 'silent', LIVELOG_CHANGES_PER_MINUTE: '100000', ...env }), database: t.database, logger: pino({ level: 'silent' }) });
  const users = new Users(t.database);
  const c = await users.add('stringer', AUTHOR_PASSWORD);
  await users.change('stringer', roleChange('contributor'));
  await addAuthor(t.app, t.slug, c);
  ctoken = await new Tokens(t.database).create(c, 'x');
}
const api = (app: FastifyInstance, url: string, token: string, payload?: object) =>
  app.inject({ method: 'POST', url: `/api/streams/${t.slug}${url}`, headers: { authorization: `Bearer ${token}` }, payload });

try {
  const ids: string[] = [];
  for (let i = 0; i < N; i++) ids.push((await api(t.app, '/posts', ctoken, { body: `s${i}` })).json().id);
  const started = performance.now();
  const answers = await Promise.all(ids.flatMap((id) => [api(t.app, `/posts/${id}/approve`, t.token), api(b, `/posts/${id}/approve`, t.token)]));
  const ms = performance.now() - started;
  const approvals = await t.database.collection('changes').countDocuments({ type: 'approve' });
  console.log(`approvals: ${N} submissions x 2 instances at once -> ${approvals} approve records, statuses ${[...new Set(answers.map((a) => a.statusCode))]}, ${ms.toFixed(0)} ms`);
  const publishAt = new Date(Date.now() + 2000);
  for (let i = 0; i < N; i++) await api(i % 2 ? t.app : b, '/posts', t.token, { body: `p${i}`, publishAt: publishAt.toISOString() });
  const deadline = Date.now() + 20_000;
  let records: { at: Date }[] = [];
  while (Date.now() < deadline) {
    records = await t.database.collection<{ at: Date }>('changes').find({ type: 'publish' }).toArray();
    if (records.length >= N) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await new Promise((r) => setTimeout(r, 2500));
  const total = await t.database.collection('changes').countDocuments({ type: 'publish' });
  const lateness = records.map((r) => r.at.getTime() - publishAt.getTime()).sort((x, y) => x - y);
  console.log(`scheduled: ${N} posts due at once, 2 instances -> ${total} publish records; lateness min ${lateness[0]} ms, median ${lateness[N >> 1]} ms, max ${lateness.at(-1)} ms`);
} finally {
  await b.close();
  await t.close();
}
