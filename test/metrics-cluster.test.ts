import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';

// LIVELOG_WORKERS: the primary answers one scrape with every worker's metrics, added up, and its own.

const METRICS_PORT = Number(process.env.LIVELOG_TEST_CLUSTER_METRICS_PORT ?? 3412);

test("one scrape of a cluster's primary shows the sum of its workers' metrics, and a stuck worker is left out, not allowed to blank it", { timeout: 60_000 }, async () => {
  const group = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/metrics-cluster.ts', String(METRICS_PORT)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const scrape = async () => {
    const response = await fetch(`http://127.0.0.1:${METRICS_PORT}/metrics`);
    assert.equal(response.status, 200);
    return response.text();
  };
  try {
    const pids = await new Promise<number[]>((resolve, reject) => {
      let out = '';
      group.stdout.on('data', (chunk) => {
        out += chunk;
        const ready = /ready ([\d ]+)\n/.exec(out);
        if (ready) resolve(ready[1]!.split(' ').map(Number));
      });
      group.once('exit', (code) => reject(new Error(`the group exited with ${code} before it was ready`)));
    });
    let text = await scrape();
    assert.match(text, /^livelog_changes_total\{kind="post"\} 6$/m, 'workers 1, 2 and 3 counted 1, 2 and 3 posts');
    assert.match(text, /^livelog_workers_unanswered 0$/m);
    assert.match(text, /^process_cpu_seconds_total \d/m, "the workers' process metrics, summed");
    // The primary's own: its relay's database errors added to the workers', its process beside theirs.
    assert.match(text, /^livelog_db_errors_total\{operation="doorbell"\} 4$/m, 'one per worker and one in the primary');
    assert.match(text, /^livelog_db_errors_total\{operation="presence"\} 1$/m, "the primary's");
    assert.match(text, /^process_cpu_seconds_total\{role="primary"\} \d/m);
    assert.match(text, /^nodejs_eventloop_lag_seconds\{role="primary"\} \d/m);
    assert.match(text, /^process_start_time_seconds\{role="primary"\} \d/m);
    assert.equal(text.match(/^# TYPE process_cpu_seconds_total /gm)?.length, 1, 'one family per name');
    assert.equal((await fetch(`http://127.0.0.1:${METRICS_PORT}/other`)).status, 404);

    // A stuck worker: the others still show, and its late answer does not break the primary.
    process.kill(pids[2]!, 'SIGSTOP');
    text = await scrape();
    assert.match(text, /^livelog_changes_total\{kind="post"\} 3$/m);
    assert.match(text, /^livelog_workers_unanswered 1$/m);
    assert.match(text, /^livelog_db_errors_total\{operation="presence"\} 1$/m, "the primary's own still show");
    process.kill(pids[2]!, 'SIGCONT');
    text = await scrape();
    assert.match(text, /^livelog_changes_total\{kind="post"\} 6$/m);
    assert.equal(group.exitCode, null, 'the primary is still up');
  } finally {
    group.stdin.end();
    if (group.exitCode === null) await once(group, 'exit');
  }
});
