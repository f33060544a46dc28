// The README's configuration table, written from the schema in server/config-schema.ts so the two never
// drift apart: `npm run config-table` prints it, `npm run config-table -- --write` puts it in the
// README between the markers; test/unit/config-table.test.ts fails when the README differs.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CONFIG_SCHEMA } from '../server/config.ts';

export const README = path.resolve(import.meta.dirname, '../README.md');
export const START_MARKER = '<!-- config-table:start (generated from server/config-schema.ts by: npm run config-table -- --write) -->';
export const END_MARKER = '<!-- config-table:end -->';

interface Setting {
  default?: unknown;
  defaultText?: string;
  description?: string;
}

/** The Markdown table: one row per variable, in the schema's order. */
export function configTable(): string {
  const rows = Object.entries(CONFIG_SCHEMA.properties as Record<string, Setting>).map(([name, setting]) => {
    if (!setting.description) throw new Error(`${name} has no description in server/config.ts`);
    const fallback = setting.defaultText ?? (setting.default === undefined ? 'unset' : `\`${String(setting.default)}\``);
    return `| \`${name}\` | ${fallback} | ${setting.description.replaceAll('|', '\\|')} |`;
  });
  return ['| variable | default | meaning |', '| --- | --- | --- |', ...rows].join('\n');
}

/** The README with its table replaced by the current one; throws if the markers are missing. */
export function readmeWithTable(readme: string): string {
  const start = readme.indexOf(START_MARKER);
  const end = readme.indexOf(END_MARKER);
  if (start < 0 || end < start) throw new Error(`README.md lacks the markers ${START_MARKER} … ${END_MARKER}`);
  return `${readme.slice(0, start + START_MARKER.length)}\n${configTable()}\n${readme.slice(end)}`;
}

if (process.argv[1] && path.resolve(process.argv[1]) === import.meta.filename) {
  if (process.argv.includes('--write')) {
    writeFileSync(README, readmeWithTable(readFileSync(README, 'utf8')));
    process.stderr.write('config-table: README.md updated\n');
  } else {
    console.log(configTable());
  }
}
