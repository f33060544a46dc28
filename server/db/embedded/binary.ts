import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { EmbeddedDatabaseError } from './error.ts';

// FerretDB is not on npm: scripts/build-ferretdb.sh builds it once per version into a per-user
// cache, so only the first start on a machine pays for the compile.

const BUILD_SCRIPT = fileURLToPath(new URL('../../../scripts/build-ferretdb.sh', import.meta.url));

/** Builds FerretDB if it is not cached yet (progress goes to the log) and returns its path. */
export async function ferretdbBinary(logger: Logger): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile('bash', [BUILD_SCRIPT], { maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
      if (error) {
        const last = stderr.trim().split('\n').slice(-3).map((l) => l.replace(/^\[ferretdb\] /, '')).join(' | ');
        reject(new EmbeddedDatabaseError(`could not build FerretDB: ${last || error.message}`));
      } else {
        resolve(stdout.trim().split('\n').at(-1) ?? '');
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) {
        if (line.startsWith('[ferretdb]')) logger.info({ component: 'ferretdb-build' }, line.slice(11));
      }
    });
  });
}
