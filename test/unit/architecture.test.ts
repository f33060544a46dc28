import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

// The layout is a rule, not a wish: imports run one way (http -> live -> log -> db), nothing
// imports in a circle, the log knows no HTTP, sockets or HTML, and no source file grows past what
// a reader can hold in mind.

const root = path.resolve(import.meta.dirname, '../..');
const SOURCE_FOLDERS = ['server', 'client', 'shared', 'scripts', 'test', 'e2e'];
const MAX_LINES = 250;

function sourceFiles(folder: string): string[] {
  return readdirSync(path.join(root, folder), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && /\.(ts|mjs)$/.test(entry.name))
    .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)));
}

const files = SOURCE_FOLDERS.flatMap(sourceFiles);
const IMPORT = /^\s*(?:import|export)\s[^'"]*?from\s+'([^']+)'|^\s*import\s+'([^']+)'/gm;

/** Every `import … from` of a file: project files as root-relative paths, packages by name. */
function importsOf(file: string): { local: string[]; packages: string[] } {
  const text = readFileSync(path.join(root, file), 'utf8');
  const local: string[] = [];
  const packages: string[] = [];
  for (const match of text.matchAll(IMPORT)) {
    const specifier = match[1] ?? match[2];
    if (specifier.startsWith('.')) local.push(path.relative(root, path.resolve(root, path.dirname(file), specifier)));
    else packages.push(specifier);
  }
  return { local, packages };
}

const graph = new Map(files.map((file) => [file, importsOf(file)]));

/** Layers of the server, lowest first: a file may import its own layer or lower ones only. */
const LAYERS = ['server/db/', 'server/log/', 'server/live/', 'server/http/'];
const layerOf = (file: string) => LAYERS.findIndex((prefix) => file.startsWith(prefix));
/** Where the server is put together: the only files outside the layers that may import them all. */
const ROOTS = ['server/app.ts', 'server/main.ts'];

test('server imports run one way: http -> live -> log -> db, never back', () => {
  const upward: string[] = [];
  for (const [file, { local }] of graph) {
    const from = layerOf(file);
    if (from < 0) continue;
    for (const target of local) if (layerOf(target) > from) upward.push(`${file} -> ${target}`);
  }
  assert.deepEqual(upward, []);
});

test('the rest of the server (config, errors, auth, media, render, ...) sits below http and live', () => {
  const upward: string[] = [];
  for (const [file, { local }] of graph) {
    if (!file.startsWith('server/') || layerOf(file) >= 0 || ROOTS.includes(file)) continue;
    for (const target of local) if (/^server\/(http|live)\//.test(target)) upward.push(`${file} -> ${target}`);
  }
  assert.deepEqual(upward, []);
});

test('the log knows no HTTP, sockets or HTML, and the database layer no domain', () => {
  const forbidden: string[] = [];
  for (const [file, { local, packages }] of graph) {
    if (file.startsWith('server/log/')) {
      for (const name of packages) if (/^(fastify|@fastify\/|ws$|eta$|markdown-it|sanitize-html)/.test(name)) forbidden.push(`${file} -> ${name}`);
      for (const target of local) if (/^server\/(render|auth|media)\//.test(target)) forbidden.push(`${file} -> ${target}`);
    }
    if (file.startsWith('server/db/')) {
      for (const target of local) if (!/^(server\/db\/|server\/config\.ts)/.test(target)) forbidden.push(`${file} -> ${target}`);
    }
  }
  assert.deepEqual(forbidden, []);
});

test('the browser code imports only the browser code and the shared protocol', () => {
  const strays = [...graph]
    .filter(([file]) => file.startsWith('client/'))
    .flatMap(([file, { local }]) => local.filter((target) => !/^(client|shared)\//.test(target)).map((target) => `${file} -> ${target}`));
  assert.deepEqual(strays, []);
});

test('no source file imports in a circle', () => {
  const cycles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const visit = (file: string, trail: string[]) => {
    if (state.get(file) === 'done') return;
    if (state.get(file) === 'open') {
      cycles.push([...trail.slice(trail.indexOf(file)), file].join(' -> '));
      return;
    }
    state.set(file, 'open');
    for (const target of graph.get(file)?.local ?? []) if (graph.has(target)) visit(target, [...trail, file]);
    state.set(file, 'done');
  };
  for (const file of graph.keys()) visit(file, []);
  assert.deepEqual(cycles, []);
});

test(`no source file is longer than ${MAX_LINES} lines`, () => {
  const long = files
    .map((file) => ({ file, lines: readFileSync(path.join(root, file), 'utf8').split('\n').length - 1 }))
    .filter(({ lines }) => lines > MAX_LINES)
    .map(({ file, lines }) => `${file}: ${lines}`);
  assert.deepEqual(long, []);
});
