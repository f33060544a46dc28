import pino from 'pino';
import { loadConfig } from '../server/config.ts';
import { openDatabase, type OpenedDatabase } from '../server/db/open.ts';

/**
 * What the command-line tools share: configuration, a logger on stderr (so stdout stays the
 * tool's own output), and the database, opened as the server would open it.
 */
export async function withDatabase<T>(run: (opened: OpenedDatabase, log: pino.Logger) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const log = pino({ level: process.env.LOG_LEVEL ?? 'warn', base: { app: 'livelog-tool' } }, pino.destination(2));
  const opened = await openDatabase(config, log);
  // Which database a command changed is not obvious with a server running or not, or MONGODB_URL
  // set in one shell and not the other; stderr, so stdout stays what scripts parse.
  process.stderr.write(`livelog: using ${opened.describe}\n`);
  try {
    return await run(opened, log);
  } finally {
    await opened.close();
  }
}

/** Prints a one-line error (no stack trace) and exits non-zero. */
export function fail(message: string, code = 1): never {
  process.stderr.write(`livelog: ${message}\n`);
  process.exit(code);
}
