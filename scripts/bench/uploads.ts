// What hostile uploads cost the server: parallel multipart requests with a bad token and 4 × 10 MB
// photo parts, and a body that drips in a byte at a time. Runs against the code in each folder given
// (e.g. an older checkout and this one), side by side on one database:
//   npx tsx scripts/bench/uploads.ts [--code DIR]... [--clients N]
// Figures: time until the server answers or hangs up, how much of its body each client got out by
// then, the server's peak RSS growth during the burst and its RSS 2 s later, and how long a dripping
// body holds its connection (capped at 30 s).
import { readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { machine, progress, setUp, startInstance } from './harness.ts';

const { values } = parseArgs({ options: { code: { type: 'string', multiple: true }, clients: { type: 'string', default: '4' } } });
const folders = values.code?.length ? values.code.map((d) => path.resolve(d)) : [process.cwd()];
const clients = Number(values.clients);
const PART = 10 * 1024 * 1024;
const DRIP_CAP_MS = 30_000;
/** Set on both servers (the older code ignores it) to show the cut within the cap. */
const REQUEST_TIMEOUT_MS = 10_000;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

/** One hostile upload; resolves with how long until an answer or hang-up, and bytes sent by then. */
function hostileUpload(port: number): Promise<{ ms: number; sentMiB: number; answer: string }> {
  return new Promise((resolve) => {
    const boundary = 'benchboundary';
    const partHead = (i: number) => Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="photo"; filename="${i}.jpg"\r\n\r\n`);
    const length = 4 * (partHead(0).length + PART + 2) + `--${boundary}--\r\n`.length;
    const socket = connect({ host: '127.0.0.1', port });
    socket.setMaxListeners(0);
    const started = Date.now();
    let sent = 0;
    let answer = '';
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      socket.destroy();
      resolve({ ms: Date.now() - started, sentMiB: sent / 1048576, answer: answer.split('\r\n')[0] ?? '' });
    };
    socket.on('data', (chunk) => {
      answer += chunk.toString('latin1');
      if (answer.includes('\r\n\r\n')) finish();
    });
    socket.on('error', finish);
    socket.on('close', finish);
    socket.on('connect', async () => {
      socket.write(`POST /api/streams/bench/posts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer livelog_wrong\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${length}\r\n\r\n`);
      const chunk = Buffer.alloc(256 * 1024, 0x41);
      for (let i = 0; i < 4 && !done; i++) {
        socket.write(partHead(i));
        for (let s = 0; s < PART && !done; s += chunk.length) {
          if (!socket.write(chunk)) await new Promise((r) => socket.once('drain', r).once('close', r));
          sent += chunk.length;
        }
        socket.write('\r\n');
      }
      if (!done) socket.write(`--${boundary}--\r\n`);
    });
  });
}

/** A JSON body with a valid token, declared as 1,000 bytes, sent one byte a second: how long is the connection held? */
function drip(port: number, token: string, slug: string): Promise<number> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const finish = () => {
      clearInterval(timer);
      socket.destroy();
      resolve(Date.now() - started);
    };
    socket.on('error', finish);
    socket.on('close', finish);
    socket.on('connect', () => {
      socket.write(`POST /api/streams/${slug}/posts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{`);
      timer = setInterval(() => socket.write(' '), 1000);
    });
    setTimeout(finish, DRIP_CAP_MS);
  });
}

const setup = await setUp();
progress(`machine: ${machine()}`);
const rows: string[] = [];
try {
  for (const [i, dir] of folders.entries()) {
    const port = 3900 + i;
    const server = await startInstance(port, { LOG_LEVEL: 'error', MONGODB_URL: setup.mongodbUrl, LIVELOG_DB: 'livelog', LIVELOG_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS) }, dir);
    const pid = server.child.pid!;
    await new Promise((r) => setTimeout(r, 1000));
    const before = await rssMiB(pid);
    let peak = before;
    const sampler = setInterval(() => void rssMiB(pid).then((v) => (peak = Math.max(peak, v))).catch(() => {}), 20);
    progress(`${dir}: ${clients} hostile uploads of 4 × 10 MB with a bad token`);
    const results = await Promise.all(Array.from({ length: clients }, () => hostileUpload(port)));
    await new Promise((r) => setTimeout(r, 2000));
    clearInterval(sampler);
    const after = await rssMiB(pid);
    progress(`${dir}: a dripping body (capped at ${DRIP_CAP_MS / 1000} s)`);
    const held = await drip(port, setup.token, setup.slug);
    await server.stop();
    rows.push(
      `| ${path.basename(dir)} | ${results[0]!.answer || '(hang-up)'} | ${median(results.map((r) => r.ms))} ms | ${median(results.map((r) => r.sentMiB)).toFixed(1)} MiB | +${Math.round(peak - before)} MiB | +${Math.round(after - before)} MiB | ${held >= DRIP_CAP_MS ? `≥ ${DRIP_CAP_MS / 1000} s (not cut)` : `${(held / 1000).toFixed(1)} s`} |`,
    );
  }
} finally {
  await setup.cleanup();
}
console.log(`\n${clients} parallel uploads with a bad token, 4 × 10 MB each; one dripping body from a signed-in author (1 byte/s; LIVELOG_REQUEST_TIMEOUT_MS=10000). ${machine()}, ${new Date().toISOString().slice(0, 10)}\n`);
console.log('| code | answer | time to answer (median) | body sent by then (median) | peak RSS growth | RSS 2 s later | dripping body held |');
console.log('|---|---|---|---|---|---|---|');
for (const row of rows) console.log(row);
