import { type ChildProcess, execFile, spawn } from 'node:child_process';
import type { IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';

// Debian's nginx in front of a Livelog, run from deploy/nginx.conf itself: the shipped site file is
// copied with only the mechanical changes a test needs (loopback ports, a self-signed certificate,
// paths of its own), wrapped in the few main-context lines Debian's /etc/nginx/nginx.conf provides.

export const NGINX = '/usr/sbin/nginx';

export const nginxInstalled = (): boolean => existsSync(NGINX);

// A test that fails half-way must not leave an nginx holding its ports.
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export interface NginxPorts {
  http: number;
  https: number;
  /** Where Livelog listens (on 127.0.0.1). */
  livelog: number;
}

export interface Nginx {
  /** https://127.0.0.1:PORT */
  url: string;
  /** nginx's access log so far (deploy/nginx.conf's `livelog` format). */
  accessLog(): Promise<string>;
  stop(): Promise<void>;
  start(): Promise<void>;
}

/** deploy/nginx.conf for this machine. Each change must apply: a shipped file that drifted from
 *  what the test knows fails here, rather than being tested half-changed. */
export function renderSite(shipped: string, dir: string, ports: NginxPorts): string {
  const changes: [RegExp, string][] = [
    [/server 127\.0\.0\.1:3000;/, `server 127.0.0.1:${ports.livelog};`],
    [/listen 80;/, `listen 127.0.0.1:${ports.http};`],
    [/listen 443 ssl http2;/, `listen 127.0.0.1:${ports.https} ssl http2;`],
    [/^\s*listen \[::\]:.*\n/gm, ''], // no IPv6 needed on loopback
    [/\/etc\/letsencrypt\/live\/live\.example\.org\/fullchain\.pem/, path.join(dir, 'cert.pem')],
    [/\/etc\/letsencrypt\/live\/live\.example\.org\/privkey\.pem/, path.join(dir, 'key.pem')],
    [/\/var\/log\/nginx\//g, `${dir}/`],
    [/live\.example\.org/g, '127.0.0.1'],
  ];
  let site = shipped;
  for (const [pattern, replacement] of changes) {
    if (!pattern.test(site)) throw new Error(`deploy/nginx.conf no longer has ${pattern}`);
    pattern.lastIndex = 0;
    site = site.replace(pattern, replacement);
  }
  return site;
}

/** What Debian's nginx.conf gives every site, with this test's paths. Its `gzip on` is kept: the
 *  site must turn it off itself; with the `gzip_types` line many admins uncomment, so that a site
 *  that left it on would show on Livelog's small JSON answers, which Livelog leaves plain. */
function mainConfig(dir: string): string {
  const temp = (name: string) => `${name}_temp_path ${path.join(dir, 'temp', name)};`;
  return [
    // One process in the foreground, no workers: it is this test's child and nothing outlives it
    // (a worker left behind by a killed master keeps the port), and no user switch is needed.
    'daemon off;',
    'master_process off;',
    `pid ${path.join(dir, 'nginx.pid')};`,
    'error_log stderr warn;',
    'events { worker_connections 512; }',
    'http {',
    `  ${temp('client_body')} ${temp('proxy')} ${temp('fastcgi')} ${temp('uwsgi')} ${temp('scgi')}`,
    '  gzip on;',
    '  gzip_types text/plain text/css application/json application/javascript text/xml application/xml;',
    `  include ${path.join(dir, 'livelog.conf')};`,
    '}',
    '',
  ].join('\n');
}

export async function startNginx(dir: string, ports: NginxPorts): Promise<Nginx> {
  await mkdir(path.join(dir, 'temp'), { recursive: true });
  await promisify(execFile)('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
    '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'),
  ]);
  const shipped = await readFile(path.resolve('deploy/nginx.conf'), 'utf8');
  await writeFile(path.join(dir, 'livelog.conf'), renderSite(shipped, dir, ports));
  await writeFile(path.join(dir, 'nginx.conf'), mainConfig(dir));

  let child: ChildProcess | undefined;
  const start = async () => {
    let stderr = '';
    const started = spawn(NGINX, ['-e', 'stderr', '-p', dir, '-c', path.join(dir, 'nginx.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
    started.stderr.on('data', (chunk) => (stderr += chunk));
    child = started;
    running.add(started);
    started.once('exit', () => running.delete(started));
    const deadline = Date.now() + 10_000;
    while (!(await accepts(ports.https))) {
      if (started.exitCode !== null) throw new Error(`nginx exited with ${started.exitCode}: ${stderr}`);
      if (Date.now() > deadline) throw new Error(`nginx did not listen within 10 s: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  await start();
  return {
    url: `https://127.0.0.1:${ports.https}`,
    accessLog: () => readFile(path.join(dir, 'livelog.access.log'), 'utf8'),
    start,
    // SIGTERM is nginx's fast shutdown: every connection, live ones included, is dropped at once.
    stop: async () => {
      const running = child;
      if (!running || running.exitCode !== null || running.signalCode !== null) return;
      await new Promise((resolve) => {
        running.once('exit', resolve);
        running.kill('SIGTERM');
      });
    },
  };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** One GET over HTTP/1.1 to a self-signed https `url`, the body as sent (not decoded). */
export function rawGet(url: string, headers: Record<string, string>): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { headers, rejectUnauthorized: false, agent: false }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }));
        response.on('error', reject);
      })
      .on('error', reject);
  });
}
