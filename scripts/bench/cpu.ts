// The database's CPU as the benchmarks measure it: read from /proc, so only on Linux.
import { readdir, readFile } from 'node:fs/promises';

const CLOCK_TICKS = 100; // USER_HZ on Linux
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** CPU seconds (user + system) a process has used so far. */
export async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS; // utime, stime
}

/** The embedded FerretDB this script started: its child process named ferretdb. */
export async function ferretdbPid(): Promise<number> {
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (name === 'ferretdb' && parent === process.pid) return Number(entry);
  }
  throw new Error('no ferretdb child process found');
}

/** Percent of one core the process used over `seconds`, or while `during` runs. */
export async function cpuPercent(pid: number, seconds: number, during?: Promise<unknown>): Promise<number> {
  const before = await cpuSeconds(pid);
  const started = performance.now();
  await (during ?? sleep(seconds * 1000));
  const elapsed = (performance.now() - started) / 1000;
  return (100 * ((await cpuSeconds(pid)) - before)) / elapsed;
}
