import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';

// LIVELOG_WORKERS: the primary answers one scrape with every worker's metrics, added up.

const METRICS_PORT = 3412;

test("one scrape of a cluster's primary shows the sum of its workers' metrics", { timeout: 20_000 }, async () => {
  const group = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/metrics-cluster.ts', String(METRICS_PORT)], { stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((resolve, reject) => {
      let out = '';
      group.stdout.on('data', (chunk) => {
        out += chunk;
        if (out.includes('ready')) resolve();
      });
      group.once('exit', (code) => reject(new Error(`the group exited with ${code} before it was ready`)));
    });
    const response = await fetch(`http://127.0.0.1:${METRICS_PORT}/metrics`);
    assert.equal(response.status, 200);
    const text = await response.text();
    assert.match(text, /^livelog_changes_total\{kind="post"\} 3$/m, 'worker 1 counted one post, worker 2 two');
    assert.match(text, /^process_cpu_seconds_total \d/m, "the workers' process metrics, summed");
    assert.equal((await fetch(`http://127.0.0.1:${METRICS_PORT}/other`)).status, 404);
  } finally {
    group.stdin.end();
    if (group.exitCode === null) await once(group, 'exit');
  }
});
