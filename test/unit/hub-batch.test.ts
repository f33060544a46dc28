import { mock, test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { LiveHub } from '../../server/live/hub.ts';
import type { LiveFeed, LiveStream } from '../../server/live/live-stream.ts';
import { OutboundFrame } from '../../server/live/outbound.ts';
import type { ViewerTransport } from '../../server/live/transport.ts';

// When the process falls behind, the projection feed hands the hub several changes at once; each
// viewer must then get them in one write (one batch), in seq order, each once.

interface Change {
  seq: number;
}

class Stream implements LiveStream<Change> {
  head = 0;
  readonly log: Change[] = [];
  listener: (change: Change, storedAt?: Date, more?: boolean) => void = () => {};
  readonly slug = 'match';
  changesSince(seq: number): Change[] {
    return this.log.filter((change) => change.seq > seq);
  }
  /** Applies `count` changes and hands them over together, as the feed does after a busy spell. */
  handOver(count: number): void {
    const changes = Array.from({ length: count }, () => ({ seq: ++this.head }));
    this.log.push(...changes);
    changes.forEach((change, i) => {
      this.listener(change, undefined, i < changes.length - 1);
    });
  }
}

const feed: LiveFeed<Stream, Change> = {
  hello: () => '{"t":"hello"}',
  frame: (_stream, change) => new OutboundFrame(JSON.stringify({ t: 'post', seq: change.seq }), change.seq),
  subscribe(stream, listener) {
    stream.listener = listener;
    return () => {};
  },
};

/** Records the seqs of every write (a probe as -1): frames sent inside one batch make one write. */
function transport(): ViewerTransport & { writes: number[][] } {
  let batch: number[] | undefined;
  const writes: number[][] = [];
  return {
    kind: 'websocket',
    writes,
    send: (frame) => (batch ? batch.push(frame.seq ?? 0) : writes.push([frame.seq ?? 0])),
    batch(sends) {
      batch = [];
      sends();
      writes.push(batch);
      batch = undefined;
    },
    bufferedBytes: () => 0,
    deliveredBytes: () => 0,
    probe: () => (batch ? batch.push(-1) : writes.push([-1])),
    onAlive() {},
    onClose() {},
    close() {},
    terminate() {},
  };
}

test('changes handed over together reach each viewer in one write, in order and each once; a lone change as before', () => {
  const hub = new LiveHub(pino({ level: 'silent' }), { heartbeatMs: 60_000, maxBufferedBytes: 1_000_000, stallMs: 60_000 }, feed);
  try {
    const stream = new Stream();
    const viewers = [transport(), transport()];
    for (const viewer of viewers) hub.attach(stream, viewer, 0);
    stream.handOver(3);
    stream.handOver(1);
    for (const viewer of viewers) assert.deepEqual(viewer.writes, [[0], [1, 2, 3], [4]], 'hello and its empty replay, three changes in one write, then one');
  } finally {
    hub.close();
  }
});

test('a heartbeat probes and pings each viewer in one write', () => {
  const hub = new LiveHub(pino({ level: 'silent' }), { heartbeatMs: 60_000, maxBufferedBytes: 1_000_000, stallMs: 60_000 }, feed);
  try {
    const stream = new Stream();
    const viewers = [transport(), transport()];
    for (const viewer of viewers) hub.attach(stream, viewer, 0);
    hub.beat();
    for (const viewer of viewers) assert.deepEqual(viewer.writes, [[0], [-1, 0]], 'hello, then the probe and the ping frame together');
  } finally {
    hub.close();
  }
});

test('the heartbeat visits a tenth of the viewers per tick: each viewer once per heartbeatMs, never all at once', () => {
  mock.timers.enable({ apis: ['setInterval'] });
  const hub = new LiveHub(pino({ level: 'silent' }), { heartbeatMs: 1_000, maxBufferedBytes: 1_000_000, stallMs: 60_000 }, feed);
  try {
    const stream = new Stream();
    const viewers = Array.from({ length: 50 }, () => transport());
    for (const viewer of viewers) hub.attach(stream, viewer, 0);
    const probed = () => viewers.filter((viewer) => viewer.writes.some((write) => write.includes(-1))).length;
    mock.timers.tick(100);
    assert.equal(probed(), 5, 'one tick: a tenth');
    mock.timers.tick(900);
    assert.equal(probed(), 50, 'one heartbeat: everyone');
    for (const viewer of viewers) assert.equal(viewer.writes.filter((write) => write.includes(-1)).length, 1, 'once each');
  } finally {
    hub.close();
    mock.timers.reset();
  }
});
