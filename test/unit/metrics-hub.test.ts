import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { register } from 'prom-client';
import { LiveHub } from '../../server/live/hub.ts';
import type { LiveFeed, LiveStream } from '../../server/live/live-stream.ts';
import type { ViewerTransport } from '../../server/live/transport.ts';
import { OutboundFrame } from '../../server/live/outbound.ts';
import { enableMetrics, type TransportKind } from '../../server/metrics/metrics.ts';

// What the hub reports: viewers per stream and transport, replays, deliveries and cuts, each
// counted once. Fake streams and transports; metrics on for this whole process.

enableMetrics();

interface Change {
  seq: number;
}

class Stream implements LiveStream<Change> {
  head = 0;
  readonly listeners = new Set<(change: Change, storedAt?: Date) => void>();
  constructor(readonly slug: string) {}
  changesSince(seq: number): Change[] {
    return Array.from({ length: Math.max(0, this.head - seq) }, (_, i) => ({ seq: seq + i + 1 }));
  }
  apply(storedAt: Date): void {
    const change = { seq: ++this.head };
    for (const listener of this.listeners) listener(change, storedAt);
  }
}

const feed: LiveFeed<Stream, Change> = {
  hello: () => '{"t":"hello"}',
  frame: (_stream, change) => new OutboundFrame(JSON.stringify({ t: 'post', seq: change.seq }), change.seq),
  subscribe(stream, listener) {
    stream.listeners.add(listener);
    return () => stream.listeners.delete(listener);
  },
};

function transport(kind: TransportKind): ViewerTransport & { buffered: number; terminations: number } {
  let closed = () => {};
  return {
    kind,
    buffered: 0,
    terminations: 0,
    send() {},
    batch: (sends) => sends(),
    bufferedBytes() {
      return this.buffered;
    },
    deliveredBytes: () => 0,
    probe() {},
    onAlive() {},
    // Like a socket: the close comes some time after the hub asks for it.
    onClose: (callback) => (closed = callback),
    close: () => closed(),
    terminate() {
      this.terminations++;
    },
  };
}

/** A series' value: `name` is the metric's (a histogram's _count or _sum is given by `series`). */
async function value(name: string, labels: Record<string, string> = {}, series = name): Promise<number | undefined> {
  const metric = (await register.getSingleMetric(name)?.get()) as { values: { labels: Record<string, unknown>; value: number; metricName?: string }[] } | undefined;
  return metric?.values.find((v) => (v.metricName ?? name) === series && Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value;
}
const histogram = (name: string, part: '_count' | '_sum') => value(name, {}, name + part);

test('the hub counts viewers by transport, replays, one delivery per change and each cut once', async () => {
  const hub = new LiveHub(pino({ level: 'silent' }), { heartbeatMs: 60_000, maxBufferedBytes: 1000, stallMs: 60_000 }, feed);
  const stream = new Stream('final');
  stream.head = 4;
  const slow = transport('websocket');
  hub.attach(stream, slow, 4);
  hub.attach(stream, transport('websocket'), 1);
  hub.attach(stream, transport('sse'), 0);
  const counted: [string, TransportKind, number][] = [];
  hub.countViewers((...entry) => counted.push(entry));
  assert.deepEqual(counted, [['final', 'websocket', 2], ['final', 'sse', 1]]);
  assert.equal(await histogram('livelog_replay_changes', '_count'), 3);
  assert.equal(await histogram('livelog_replay_changes', '_sum'), 0 + 3 + 4);

  slow.buffered = 2000; // past maxBufferedBytes: cut at the next frame, and not again at the one after
  stream.apply(new Date(Date.now() - 200));
  stream.apply(new Date(Date.now() - 200));
  assert.equal(slow.terminations, 1);
  assert.equal(await value('livelog_viewers_cut_total', { reason: 'buffer' }), 1);
  assert.equal(await histogram('livelog_delivery_seconds', '_count'), 2, 'one per change, however many viewers');
  assert.ok((await histogram('livelog_delivery_seconds', '_sum'))! >= 0.4, 'timed from when each change was stored');

  hub.close();
  assert.equal(await value('livelog_viewers_cut_total', { reason: 'restart' }), 2, 'the viewer already cut is not counted again');
});
