import cluster from 'node:cluster';
import { AggregatorRegistry, collectDefaultMetrics, Counter, Gauge, Histogram, register } from 'prom-client';

// Livelog's Prometheus metrics. They live in prom-client's default registry: that is the one a
// cluster worker hands to the primary (AggregatorRegistry), so one scrape of the primary shows every
// worker. Every metric here adds up across workers (counters, histograms and viewer counts sum), so
// none needs a worker label. Nothing is recorded until `enableMetrics()`: with metrics off, each
// call below is one boolean test.

/** Whether this process records metrics (LIVELOG_METRICS_PORT is set). */
let enabled = false;

/** Turns recording on, with prom-client's process and event-loop metrics; idempotent. */
export function enableMetrics(): void {
  if (enabled) return;
  enabled = true;
  collectDefaultMetrics();
  // Its constructor makes this worker answer the primary's requests for its metrics.
  if (cluster.isWorker) new AggregatorRegistry();
}

export type TransportKind = 'websocket' | 'sse';

/** Who holds viewers in this process (the live hub), counted when scraped rather than per viewer. */
export interface ViewerSource {
  /** Calls `count` once per stream and transport that has viewers here. */
  countViewers(count: (stream: string, transport: TransportKind, viewers: number) => void): void;
}

const viewerSources = new Set<ViewerSource>();

/** Counts `source`'s viewers at each scrape, until the returned call. */
export function watchViewers(source: ViewerSource): () => void {
  viewerSources.add(source);
  return () => viewerSources.delete(source);
}

// Registered by its construction, and filled in at each scrape.
new Gauge({
  name: 'livelog_viewers',
  help: 'Viewers connected now, per stream and transport',
  labelNames: ['stream', 'transport'] as const,
  aggregator: 'sum',
  collect() {
    // Rebuilt at each scrape: a stream nobody watches any more leaves no series behind.
    this.reset();
    for (const source of viewerSources) source.countViewers((stream, transport, n) => this.inc({ stream, transport }, n));
  },
});

const changes = new Counter({
  name: 'livelog_changes_total',
  help: 'Changes this server appended to a stream log, by kind (post, edit, pin, key, delete, status, member, order)',
  labelNames: ['kind'] as const,
});

/** Seconds: from a few milliseconds (an append seen here) to the catch-up interval and beyond. */
const LATENCY_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const delivery = new Histogram({
  name: 'livelog_delivery_seconds',
  help: "From a change's storage to its frame handed to its viewers' sockets",
  buckets: LATENCY_BUCKETS,
});

const publish = new Histogram({
  name: 'livelog_publish_seconds',
  help: 'Handling time of a successful change request (post, edit, pin, delete, ...) by an author',
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
});

const replay = new Histogram({
  name: 'livelog_replay_changes',
  help: 'Changes replayed to a viewer when it connected or resumed',
  buckets: [0, 1, 5, 10, 25, 50, 100, 250, 500, 1000],
});

const relayLag = new Histogram({
  name: 'livelog_relay_lag_seconds',
  help: "How late this process learnt another one's change (doorbell or catch-up): now minus its storage",
  buckets: LATENCY_BUCKETS,
});

const dbErrors = new Counter({
  name: 'livelog_db_errors_total',
  help: 'Database calls that failed, by operation',
  labelNames: ['operation'] as const,
});

const viewersCut = new Counter({
  name: 'livelog_viewers_cut_total',
  help: 'Live connections cut or refused by the server, by reason',
  labelNames: ['reason'] as const,
});

export type DbOperation = 'load' | 'append' | 'read' | 'presence' | 'doorbell';

/** Why a viewer was let go: a full buffer, no progress, no answer to probes, a restart, a refusal,
 *  or the stream no longer admits them (a revoked viewer link, a removed member, made private). */
export type CutReason = 'buffer' | 'stalled' | 'dead' | 'restart' | 'full' | 'address_full' | 'not_admitted';

const secondsSince = (at: Date) => Math.max(0, Date.now() - at.getTime()) / 1000;

export function countChange(kind: string): void {
  if (enabled) changes.inc({ kind });
}

/** Once per change, after its frame went to every viewer of the stream. */
export function observeDelivery(storedAt: Date): void {
  if (enabled) delivery.observe(secondsSince(storedAt));
}

export function observePublish(seconds: number): void {
  if (enabled) publish.observe(seconds);
}

export function observeReplay(changesReplayed: number): void {
  if (enabled) replay.observe(changesReplayed);
}

/** A change another process stored, as this one applies it. */
export function observeRelayLag(storedAt: Date): void {
  if (enabled) relayLag.observe(secondsSince(storedAt));
}

export function countDbError(operation: DbOperation): void {
  if (enabled) dbErrors.inc({ operation });
}

export function countViewerCut(reason: CutReason): void {
  if (enabled) viewersCut.inc({ reason });
}

/** This process's metrics in Prometheus's text format. */
export function processMetrics(): Promise<string> {
  return register.metrics();
}

export const METRICS_CONTENT_TYPE = register.contentType;
