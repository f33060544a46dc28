// The three servers floor.ts measures, each started fresh for one measurement: Livelog (against the
// run's embedded FerretDB), the bare `ws` broadcaster and Centrifugo (built once from the Go module
// proxy into ~/.cache/livelog). Each says how viewers connect and how a post is published.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { progress, type Setup, startInstance } from './harness.ts';
import { processTree } from './proc.ts';
import type { Protocol } from './floor-viewers.ts';

/** `base`: Livelog from another checkout (an older commit), to compare before and after in one run. */
export type TargetName = 'livelog' | 'base' | 'ws' | 'centrifugo';

export interface Target {
  name: TargetName;
  protocol: Protocol;
  url: string;
  /** The server's processes (a cluster's primary and workers). */
  pids(): Promise<number[]>;
  /** Publishes one post whose text is `body`. */
  publish(body: string): Promise<void>;
  stop(): Promise<void>;
}

const CENTRIFUGO_VERSION = 'v6.9.1';
const API_KEY = 'floor-bench-key';

export interface LivelogOptions {
  workers: number;
  maxViewers: number;
  /** The checkout `base` runs. */
  baseCheckout?: string;
}

export async function startTarget(name: TargetName, port: number, setup: Setup, livelog: LivelogOptions): Promise<Target> {
  if (name === 'livelog') return startLivelog(name, port, setup, livelog);
  if (name === 'base') {
    if (!livelog.baseCheckout) throw new Error('the base target needs --base CHECKOUT');
    return startLivelog(name, port, setup, livelog, livelog.baseCheckout);
  }
  if (name === 'ws') return startBare(port);
  return startCentrifugo(port);
}

async function startLivelog(name: TargetName, port: number, setup: Setup, options: LivelogOptions, checkout?: string): Promise<Target> {
  const env = {
    MONGODB_URL: setup.mongodbUrl,
    LIVELOG_DB: 'livelog',
    LIVELOG_WORKERS: String(options.workers),
    LIVELOG_MAX_VIEWERS: String(options.maxViewers),
    LIVELOG_MAX_VIEWERS_PER_ADDRESS: String(options.maxViewers),
    // The others have no overload shedding: on a shared, busy machine Livelog's would refuse the
    // bench's posts (503) when the viewers' writes delay its event loop past a second.
    LIVELOG_MAX_EVENT_LOOP_DELAY_MS: '0',
  };
  const instance = await startInstance(port, env, checkout);
  const api = `http://${instance.base}/api/streams/${setup.slug}/posts`;
  // Viewers start at the head: the measurement is the live fan-out, not the replay of earlier rounds.
  const head = ((await (await fetch(`http://${instance.base}/api/streams/${setup.slug}/posts?since=999999999999&limit=1`)).json()) as { seq: number }).seq;
  return {
    name,
    protocol: 'livelog',
    url: `ws://${instance.base}/s/${setup.slug}/live?since=${head}`,
    pids: () => processTree(instance.child.pid!),
    async publish(body) {
      const response = await fetch(api, {
        method: 'POST',
        headers: { authorization: `Bearer ${setup.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ body }),
      });
      if (!response.ok) throw new Error(`Livelog refused a post: ${response.status} ${await response.text()}`);
      await response.arrayBuffer();
    },
    stop: () => instance.stop(),
  };
}

async function startBare(port: number): Promise<Target> {
  const child = track(spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'bare-broadcaster.ts'), String(port)], { stdio: ['ignore', 'ignore', 'pipe'] }));
  await waitFor(child, /listening/);
  return {
    name: 'ws',
    protocol: 'plain',
    url: `ws://127.0.0.1:${port}/`,
    pids: async () => [child.pid!],
    async publish(body) {
      const response = await fetch(`http://127.0.0.1:${port}/publish`, { method: 'POST', body: JSON.stringify({ t: 'post', body }) });
      await response.arrayBuffer();
    },
    stop: () => stopChild(child),
  };
}

/** Centrifugo's binary, built once with `go install` from the Go module proxy. */
export function centrifugoBinary(): string {
  const folder = path.join(os.homedir(), '.cache', 'livelog', `centrifugo-${CENTRIFUGO_VERSION}`);
  const binary = path.join(folder, 'centrifugo');
  if (!existsSync(binary)) {
    progress(`building Centrifugo ${CENTRIFUGO_VERSION} into ${folder} (minutes, once)`);
    mkdirSync(folder, { recursive: true });
    execFileSync('go', ['install', `github.com/centrifugal/centrifugo/v6@${CENTRIFUGO_VERSION}`], { env: { ...process.env, GOBIN: folder }, stdio: 'inherit' });
  }
  return binary;
}

async function startCentrifugo(port: number): Promise<Target> {
  const folder = path.join(os.tmpdir(), `floor-centrifugo-${process.pid}`);
  mkdirSync(folder, { recursive: true });
  const config = path.join(folder, 'config.json');
  // Anonymous websocket viewers may subscribe to any channel; publishing only through the HTTP API.
  writeFileSync(
    config,
    JSON.stringify({
      client: { allow_anonymous_connect_without_token: true, allowed_origins: ['*'] },
      channel: { without_namespace: { allow_subscribe_for_anonymous: true, allow_subscribe_for_client: true } },
      http_api: { key: API_KEY },
      http_server: { address: '127.0.0.1', port },
      health: { enabled: true },
      log: { level: 'error' },
    }),
  );
  const child = track(spawn(centrifugoBinary(), ['--config', config], { stdio: ['ignore', 'ignore', 'pipe'], cwd: folder }));
  await waitForHttp(`http://127.0.0.1:${port}/health`);
  return {
    name: 'centrifugo',
    protocol: 'centrifugo',
    url: `ws://127.0.0.1:${port}/connection/websocket`,
    pids: async () => [child.pid!],
    async publish(body) {
      const response = await fetch(`http://127.0.0.1:${port}/api/publish`, {
        method: 'POST',
        headers: { 'x-api-key': API_KEY, 'content-type': 'application/json' },
        body: JSON.stringify({ channel: 'floor', data: { t: 'post', body } }),
      });
      const answer = await response.text();
      if (!response.ok || answer.includes('"error"')) throw new Error(`Centrifugo refused a post: ${answer}`);
    },
    async stop() {
      await stopChild(child);
      rmSync(folder, { recursive: true, force: true });
    },
  };
}

// A run that fails half-way must not leave servers holding its ports.
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

function track(child: ChildProcess): ChildProcess {
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

function waitFor(child: ChildProcess, banner: RegExp): Promise<void> {
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr!.on('data', (chunk) => {
      stderr += chunk;
      if (banner.test(stderr)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`exited with ${code}: ${stderr}`)));
  });
}

async function waitForHttp(url: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await fetch(url).then((r) => r.ok).catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer`);
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
