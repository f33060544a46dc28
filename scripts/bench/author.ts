// The author side: how fast a post is stored and answered, whether a burst of posts from many
// authors at once goes through the change budget, how long a viewer that missed 1,000 changes
// takes to catch up in one connection, and what the live page of a 1,000-post stream costs.
//   npx tsx scripts/bench/author.ts [--posts 50] [--authors 10] [--burst 100] [--missed 1000]
//     [--rounds 10] [--port 4300] [--checkout .]
// One Livelog process on a fresh embedded FerretDB, with the default change budget
// (LIVELOG_CHANGES_PER_MINUTE=120 per user). The missed changes are written straight into the
// database (seed-posts.ts) before the server starts: the server reads them as it would after others
// wrote them. Times are seen by this client over loopback: an upper bound of the server's own.
import http from 'node:http';
import path from 'node:path';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { connectDatabase } from '../../server/db/database.ts';
import { Users } from '../../server/auth/users.ts';
import { Tokens } from '../../server/auth/tokens.ts';
import { Streams } from '../../server/log/streams.ts';
import { MongoChangeStore } from '../../server/log/mongo-store.ts';
import { machine, progress, setUp, startInstance } from './harness.ts';
import { seedPosts } from './seed-posts.ts';

const { values } = parseArgs({
  options: {
    posts: { type: 'string', default: '50' },
    authors: { type: 'string', default: '10' },
    burst: { type: 'string', default: '100' },
    missed: { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '10' },
    port: { type: 'string', default: '4300' },
    checkout: { type: 'string', default: '.' },
  },
});
const authorCount = Number(values.authors);
const burst = Number(values.burst);
const missed = Number(values.missed);
const rounds = Number(values.rounds);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.now();
const at = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(p * values.length))]!;
const ms = (n: number) => `${n.toFixed(1)} ms`;

const setup = await setUp();
// A second stream holding `missed` posts, and the burst's authors (admins: they may post anywhere).
const database = await connectDatabase(setup.mongodbUrl, 'livelog');
const users = new Users(database);
const tokens = new Tokens(database);
const authorTokens: string[] = [];
for (let i = 0; i < authorCount; i++) authorTokens.push(await tokens.create(await users.add(`burst-${i}-${Date.now()}`, 'bench password', true), 'burst'));
const pageSlug = `page-${Date.now()}`;
await new Streams(new MongoChangeStore(database)).create(pageSlug, 'A thousand posts', 'bench');
await database.close();
await seedPosts(setup.mongodbUrl, pageSlug, missed);

const instance = await startInstance(Number(values.port), { MONGODB_URL: setup.mongodbUrl, LIVELOG_DB: 'livelog', LIVELOG_CHANGES_PER_MINUTE: '120' }, path.resolve(values.checkout!));
const base = `http://${instance.base}`;
// Publishing as a script would, over a kept-alive connection with Node's http client: undici's
// fetch spent 3-5 ms more per call of this client's own time on these two shared cores (measured
// side by side), and the figure is meant to be the server's.
const agent = new http.Agent({ keepAlive: true });
const publish = (token: string, body: string) =>
  new Promise<number>((resolve, reject) => {
    const payload = JSON.stringify({ body });
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) };
    const request = http.request(`${base}/api/streams/${setup.slug}/posts`, { method: 'POST', agent, headers }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    request.on('error', reject);
    request.end(payload);
  });
const lines: string[] = [];
try {
  progress(`publishing ${values.posts} posts one after another`);
  await publish(setup.token, 'warm-up');
  const publishTimes: number[] = [];
  for (let i = 0; i < Number(values.posts); i++) {
    const started = now();
    const status = await publish(setup.token, `Post ${i}: ${'lorem ipsum dolor sit amet '.repeat(9)}`);
    if (status !== 201) throw new Error(`post refused: ${status}`);
    publishTimes.push(now() - started);
    await sleep(50);
  }
  lines.push(`| publish one post (${publishTimes.length}, one after another) | p50 ${ms(at(publishTimes, 0.5))}, p90 ${ms(at(publishTimes, 0.9))} | p50 ≤ 10 ms |`);

  progress(`a burst of ${burst} posts from ${authorCount} authors at once`);
  const started = now();
  const statuses = await Promise.all(
    Array.from({ length: burst }, (_, i) => publish(authorTokens[i % authorCount]!, `Burst post ${i} ${'x'.repeat(200)}`)),
  );
  const burstMs = now() - started;
  const refused = statuses.filter((status) => status >= 400);
  const codes = [...new Set(refused)].join(', ');
  lines.push(`| burst: ${burst} posts from ${authorCount} authors at once | ${burst - refused.length} stored, ${refused.length} refused${codes ? ` (${codes})` : ''}, all answered in ${ms(burstMs)} | no refusals |`);

  progress(`the live page of a ${missed}-post stream, ${rounds * 2} times`);
  await (await fetch(`${base}/s/${pageSlug}`)).arrayBuffer(); // loads the stream
  const pageTimes: number[] = [];
  for (let i = 0; i < rounds * 2; i++) {
    const started = now();
    const response = await fetch(`${base}/s/${pageSlug}`);
    await response.arrayBuffer();
    if (!response.ok) throw new Error(`page: ${response.status}`);
    pageTimes.push(now() - started);
  }
  lines.push(`| live page of a ${missed}-post stream (${pageTimes.length} requests) | p50 ${ms(at(pageTimes, 0.5))}, p90 ${ms(at(pageTimes, 0.9))} | < 20 ms |`);

  progress(`resuming after ${missed} missed changes, ${rounds} times`);
  const resumeTimes: number[] = [];
  for (let i = 0; i < rounds; i++) resumeTimes.push(await resume(`ws://${instance.base}/s/${pageSlug}/live?since=0`, missed));
  lines.push(`| resume after ${missed} missed changes: connect to the last frame (${rounds} times) | p50 ${ms(at(resumeTimes, 0.5))}, max ${ms(Math.max(...resumeTimes))} | < 200 ms |`);
} finally {
  agent.destroy();
  await instance.stop();
  await setup.cleanup();
}

/** Opens a viewer at `url` and waits for `changes` change frames: one connection, no further request. */
function resume(url: string, changes: number): Promise<number> {
  const started = now();
  const socket = new WebSocket(url);
  let received = 0;
  return new Promise((resolve, reject) => {
    socket.on('message', (data: Buffer) => {
      if (!data.includes('"seq"') || data.includes('"t":"hello"')) return;
      if (++received < changes) return;
      resolve(now() - started);
      socket.terminate();
    });
    socket.on('error', reject);
    setTimeout(() => reject(new Error(`only ${received} of ${changes} changes after 10 s`)), 10_000).unref();
  });
}

console.log(`\n${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${machine()}, embedded FerretDB\n`);
console.log('| figure | measured | target |');
console.log('| --- | --- | --- |');
for (const line of lines) console.log(line);
