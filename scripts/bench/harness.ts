// What the benchmark scripts share: a throwaway database, Livelog instances as child processes,
// a seeded author and stream, and viewers that apply frames the way the page script does.
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import pino from 'pino';
import { MongoChangeStore } from '../../server/log/mongo-store.ts';
import { startEmbeddedDatabase } from '../../server/db/embedded.ts';
import { connectDatabase } from '../../server/db/database.ts';
import { Users } from '../../server/auth/users.ts';
import { Tokens } from '../../server/auth/tokens.ts';
import { Streams } from '../../server/log/streams.ts';
import { startServerProcess } from '../../test/fixtures/server-process.ts';

export const progress = (message: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);

export function machine(): string {
  return `${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
}

export interface Setup {
  mongodbUrl: string;
  token: string;
  slug: string;
  cleanup(): Promise<void>;
}

/** A fresh embedded FerretDB (or MONGODB_URL) with one author token and one stream. */
export async function setUp(): Promise<Setup> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'livelog-bench-'));
  const embedded = process.env.MONGODB_URL ? undefined : await startEmbeddedDatabase({ dataDir, logger: pino({ level: 'warn' }) });
  const mongodbUrl = process.env.MONGODB_URL ?? embedded!.url;
  const database = await connectDatabase(mongodbUrl, 'livelog');
  const user = await new Users(database).add(`bench-${Date.now()}`, 'bench password', true);
  const token = await new Tokens(database).create(user, 'bench');
  const slug = `bench-${Date.now()}`;
  await new Streams(new MongoChangeStore(database)).create(slug, 'Benchmark', user._id);
  await database.close();
  return {
    mongodbUrl,
    token,
    slug,
    async cleanup() {
      await embedded?.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface Instance {
  base: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts Livelog from `code` (a checkout: this one, or an older one to compare against). */
export async function startInstance(port: number, env: Record<string, string>, code = process.cwd()): Promise<Instance> {
  const server = await startServerProcess({
    cwd: code,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', LIVELOG_CHANGES_PER_MINUTE: '100000', ...env },
  });
  return {
    base: server.address,
    child: server.child,
    stop: async () => {
      await server.stop();
    },
  };
}

type Frame = { t: string; seq?: number; id?: string; epoch?: string; n?: number };

/**
 * A viewer that keeps what the page would show (post id → version seq), resumes from its last seq
 * after every disconnect, and checks seq continuity like the page script does.
 */
export class BenchViewer {
  readonly posts = new Map<string, number>();
  seq = 0;
  epoch = '';
  reconnects = 0;
  gaps = 0;
  private replayUntil = 0;
  private socket: WebSocket | undefined;
  private stopped = false;
  /** Called with each change seq when it is applied (for latency). */
  onApplied: (seq: number) => void = () => {};

  constructor(private readonly base: string, private readonly slug: string) {}

  connect(): Promise<void> {
    const since = this.epoch ? `${this.epoch}.${this.seq}` : '0';
    const socket = new WebSocket(`ws://${this.base}/s/${this.slug}/live?since=${since}`);
    this.socket = socket;
    socket.on('message', (data) => this.receive(JSON.parse(String(data)) as Frame));
    socket.on('close', () => {
      if (this.socket !== socket || this.stopped) return;
      this.reconnects++;
      setTimeout(() => void this.connect().catch(() => {}), 200 + Math.random() * 800);
    });
    socket.on('error', () => {});
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
  }

  /** Drops the connection as a flaky network would; the close handler reconnects. */
  drop(): void {
    this.socket?.terminate();
  }

  stop(): void {
    this.stopped = true;
    this.socket?.terminate();
  }

  private receive(frame: Frame): void {
    if (frame.t === 'hello') {
      if (this.epoch && frame.epoch !== this.epoch) throw new Error('epoch changed');
      this.epoch = frame.epoch!;
      this.replayUntil = frame.seq!;
      return;
    }
    if (frame.seq === undefined || frame.seq <= this.seq) return;
    if (frame.seq > this.replayUntil && frame.seq !== this.seq + 1) {
      this.gaps++;
      this.drop(); // resume from what we hold
      return;
    }
    this.seq = frame.seq;
    if (frame.t === 'post' || frame.t === 'edit') this.posts.set(frame.id!, frame.seq);
    else if (frame.t === 'delete') this.posts.delete(frame.id!);
    this.onApplied(frame.seq);
  }
}

export function median(values: number[]): number {
  return percentile(values, 50);
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
