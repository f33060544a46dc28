// A burst of logins with made-up names against a running Livelog, while a viewer fetches the
// stylesheet in a loop: how slow does everything else get, how long until every login is answered,
// and how much memory does the server take? Starts each server itself (so it knows the pid and can
// read its memory from /proc), from this checkout and from any other given with --code, each round
// on a fresh process and database.
//
//   npx tsx scripts/bench/login-burst.ts [--logins 30] [--rounds 3] [--code DIR]...
import type { ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { assetName } from '../../server/render/assets.ts';
import { type Instance, machine, progress, setUp, startInstance } from './harness.ts';

const { values } = parseArgs({
  options: {
    logins: { type: 'string', default: '30' },
    rounds: { type: 'string', default: '3' },
    code: { type: 'string', multiple: true, default: ['.'] },
    port: { type: 'string', default: '3390' },
  },
});
const LOGINS = Number(values.logins);
const ROUNDS = Number(values.rounds);
const PORT = Number(values.port);

interface Round {
  cssP50: number;
  cssP99: number;
  cssMax: number;
  cssCount: number;
  allAnsweredMs: number;
  statuses: Record<string, number>;
  rssBeforeMiB: number;
  rssPeakMiB: number;
  rssAfterMiB: number;
}

async function memory(pid: number): Promise<{ rss: number; peak: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)![1]) / 1024;
  return { rss: kib('VmRSS'), peak: kib('VmHWM') };
}

const startServer = (code: string, mongodbUrl: string, db: string): Promise<Instance> => startInstance(PORT, { MONGODB_URL: mongodbUrl, LIVELOG_DB: db }, code);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function round(child: ChildProcess): Promise<Round> {
  const base = `http://127.0.0.1:${PORT}`;
  const form = await fetch(`${base}/login`);
  const cookie = form.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const csrf = /name="_csrf" value="([^"]*)"/.exec(await form.text())![1]!;
  for (let i = 0; i < 20; i++) await (await fetch(`${base}/assets/${assetName('livelog.css')}`)).arrayBuffer();
  const before = await memory(child.pid!);

  let over = false;
  const css: number[] = [];
  const viewer = (async () => {
    while (!over) {
      const started = performance.now();
      await (await fetch(`${base}/assets/${assetName('livelog.css')}`)).arrayBuffer();
      css.push(performance.now() - started);
    }
  })();
  const started = performance.now();
  const statuses = await Promise.all(
    Array.from({ length: LOGINS }, async (_, i) => {
      const response = await fetch(`${base}/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
        body: new URLSearchParams({ _csrf: csrf, name: `made-up-${i}-${Date.now()}`, password: 'a guessed password' }),
        redirect: 'manual',
      });
      await response.text();
      return response.status;
    }),
  );
  const allAnsweredMs = performance.now() - started;
  over = true;
  await viewer;
  const after = await memory(child.pid!);
  css.sort((a, b) => a - b);
  const counts: Record<string, number> = {};
  for (const s of statuses) counts[s] = (counts[s] ?? 0) + 1;
  return {
    cssP50: percentile(css, 50),
    cssP99: percentile(css, 99),
    cssMax: css.at(-1)!,
    cssCount: css.length,
    allAnsweredMs,
    statuses: counts,
    rssBeforeMiB: before.rss,
    rssPeakMiB: after.peak,
    rssAfterMiB: after.rss,
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const setup = await setUp();
try {
  progress(`${machine()}; ${LOGINS} logins, ${ROUNDS} rounds per checkout`);
  const rows: string[] = [];
  for (const code of values.code!) {
    const rounds: Round[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      // A fresh process and database each round: the address throttle of the new code would
      // otherwise answer later rounds from memory.
      const server = await startServer(path.resolve(code), setup.mongodbUrl, `burst_${Date.now()}`);
      try {
        const result = await round(server.child);
        progress(`${code} round ${r + 1}: ${JSON.stringify(result)}`);
        rounds.push(result);
      } finally {
        await server.stop();
      }
    }
    const m = (f: (r: Round) => number) => median(rounds.map(f)).toFixed(0);
    const statuses = rounds.map((r) => Object.entries(r.statuses).map(([s, n]) => `${n}×${s}`).join(' ')).join(' / ');
    rows.push(
      `| ${code} | ${m((r) => r.cssP50)} / ${m((r) => r.cssP99)} / ${m((r) => r.cssMax)} ms (${m((r) => r.cssCount)} fetches) | ${m((r) => r.allAnsweredMs)} ms | ${m((r) => r.rssBeforeMiB)} → peak ${m((r) => r.rssPeakMiB)} → ${m((r) => r.rssAfterMiB)} MiB | ${statuses} |`,
    );
  }
  console.log('| code | stylesheet during the burst p50 / p99 / max | all logins answered | server RSS before → peak → after | answers (each round) |');
  console.log('| --- | --- | ---: | --- | --- |');
  for (const row of rows) console.log(row);
} finally {
  await setup.cleanup();
}
