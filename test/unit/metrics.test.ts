import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { register } from 'prom-client';
import { countChange, enableMetrics, type TransportKind, watchViewers } from '../../server/metrics/metrics.ts';

// The metrics registry without a server: nothing recorded while metrics are off, viewer series that
// follow the hub, and a Grafana dashboard that queries only metrics the server exposes.

const dashboardFile = path.resolve(import.meta.dirname, '../../deploy/grafana-dashboard.json');

async function value(name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const metric = await register.getSingleMetric(name)?.get();
  const entry = metric?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return entry?.value;
}

// First, before anything turns metrics on (they stay on for the rest of this process).
test('with metrics off, recording a change records nothing and no process metrics are collected', async () => {
  countChange('post');
  assert.equal(await value('livelog_changes_total', { kind: 'post' }), undefined);
  assert.equal(register.getSingleMetric('process_cpu_seconds_total'), undefined);
});

test('the viewers gauge shows each stream and transport with viewers, and forgets a stream nobody watches', async () => {
  enableMetrics();
  const watched = new Map<string, [TransportKind, number][]>([['final', [['websocket', 3], ['sse', 1]]], ['derby', [['sse', 2]]]]);
  const unwatch = watchViewers({
    countViewers: (count) => {
      for (const [stream, kinds] of watched) for (const [transport, n] of kinds) count(stream, transport, n);
    },
  });
  try {
    assert.equal(await value('livelog_viewers', { stream: 'final', transport: 'websocket' }), 3);
    assert.equal(await value('livelog_viewers', { stream: 'final', transport: 'sse' }), 1);
    assert.equal(await value('livelog_viewers', { stream: 'derby', transport: 'sse' }), 2);
    watched.delete('derby');
    assert.equal(await value('livelog_viewers', { stream: 'derby' }), undefined);
  } finally {
    unwatch();
  }
  assert.equal(await value('livelog_viewers', { stream: 'final' }), undefined, 'a closed app counts no more viewers');
});

test('every metric the Grafana dashboard queries is one the server exposes', async () => {
  enableMetrics();
  // Every metric declared in the exposition (labelled ones may have no series yet), and every
  // series name, a histogram's NAME_bucket, NAME_sum and NAME_count included.
  const exposition = await register.metrics();
  const exposed = new Set([...exposition.matchAll(/^(?:# TYPE )?([a-z_:][a-z0-9_:]*)[{ ]/gm)].map((m) => m[1]));
  const dashboard = JSON.parse(readFileSync(dashboardFile, 'utf8')) as {
    __inputs: { name: string }[];
    panels: { title: string; datasource: { uid: string }; targets: { expr: string }[] }[];
    templating: { list: { definition: string }[] };
  };
  assert.deepEqual(dashboard.__inputs.map((input) => input.name), ['DS_PROMETHEUS']);
  const queries = [...dashboard.panels.flatMap((panel) => panel.targets.map((target) => target.expr)), ...dashboard.templating.list.map((v) => v.definition)];
  const queried = new Set(queries.flatMap((expr) => [...expr.matchAll(/\b(?:livelog|nodejs|process)_[a-z0-9_]+/g)].map((m) => m[0])));
  assert.ok(queried.size >= 12, `the dashboard queries Livelog's and the process's metrics: ${[...queried]}`);
  assert.deepEqual([...queried].filter((name) => !exposed.has(name)), []);
  for (const name of ['livelog_viewers', 'livelog_changes_total', 'livelog_delivery_seconds_bucket', 'livelog_publish_seconds_bucket', 'livelog_relay_lag_seconds_bucket', 'livelog_db_errors_total', 'livelog_viewers_cut_total', 'livelog_replay_changes_bucket']) {
    assert.ok(queried.has(name), `a panel shows ${name}`);
  }
  for (const panel of dashboard.panels) {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's import placeholder, not a template
    assert.equal(panel.datasource.uid, '${DS_PROMETHEUS}', `${panel.title} uses the imported datasource`);
  }
});
