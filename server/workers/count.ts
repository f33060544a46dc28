/**
 * How many processes serve the port, from LIVELOG_WORKERS (already checked by the config schema):
 * a number, or `auto` for one per core the process may use.
 */
export function workerCount(setting: string, cores: number): number {
  if (setting === 'auto') return Math.max(1, cores);
  const count = Number.parseInt(setting, 10);
  if (!Number.isSafeInteger(count) || count < 1) throw new Error(`LIVELOG_WORKERS: expected a number from 1 or auto, not "${setting}"`);
  // Each worker holds its own memory (about 150 MB) and database connections: more than a few per
  // core only costs.
  const most = Math.max(4, 4 * cores);
  if (count > most) throw new Error(`LIVELOG_WORKERS: ${count} is more than 4 per core (${most} here); auto is one per core`);
  return count;
}
