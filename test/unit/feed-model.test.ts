import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FeedModel, type ShownPost } from '../../client/feed-model.ts';
import { LiveConnection } from '../../client/connection.ts';
import type { ChangeFrame, Frame } from '../../shared/protocol.ts';
import { FakeTimers, FakeTransports, type FakeLink, RecordingListener } from './connection-fakes.ts';

// The page's posts as the feed model keeps them, checked against the log: whatever mix of replay,
// live frames, duplicates, stale frames, losses and reconnects a viewer meets, it ends showing the
// log's final state in display order, as if it had applied every change in order.

const EPOCH = 'e1';

type Op =
  | { op: 'post'; pinned: boolean }
  | { op: 'edit'; target: number }
  | { op: 'pin'; target: number; pinned: boolean }
  | { op: 'delete'; target: number }
  | { op: 'status'; ended: boolean };

const ops = fc.array(
  fc.oneof(
    fc.record({ op: fc.constant('post' as const), pinned: fc.boolean() }),
    fc.record({ op: fc.constant('edit' as const), target: fc.nat() }),
    fc.record({ op: fc.constant('pin' as const), target: fc.nat(), pinned: fc.boolean() }),
    fc.record({ op: fc.constant('delete' as const), target: fc.nat() }),
    fc.record({ op: fc.constant('status' as const), ended: fc.boolean() }),
  ),
  { minLength: 1, maxLength: 30 },
);

/** The log's changes as frames, seq 1..N, as the server would send them live. */
function logOf(list: Op[]): ChangeFrame[] {
  const posts = new Map<string, { createdSeq: number; pinned: boolean }>();
  const frames: ChangeFrame[] = [];
  for (const o of list) {
    const seq = frames.length + 1;
    const ids = [...posts.keys()];
    const target = 'target' in o && ids.length > 0 ? ids[o.target % ids.length]! : undefined;
    if (o.op === 'post') {
      posts.set(`p${seq}`, { createdSeq: seq, pinned: o.pinned });
      frames.push({ t: 'post', seq, id: `p${seq}`, createdSeq: seq, pinned: o.pinned, html: `<article>v${seq}</article>` });
    } else if (o.op === 'status') {
      frames.push({ t: 'stream', seq, status: o.ended ? 'ended' : 'live' });
    } else if (target === undefined) {
      // nothing to change yet
    } else if (o.op === 'delete') {
      posts.delete(target);
      frames.push({ t: 'delete', seq, id: target });
    } else {
      const p = posts.get(target)!;
      if (o.op === 'pin') p.pinned = o.pinned;
      frames.push({ t: 'edit', seq, id: target, createdSeq: p.createdSeq, pinned: p.pinned, html: `<article>v${seq}</article>` });
    }
  }
  return frames;
}

/** What the server replays after `since` when its head is `head`: the latest change per post (and status), in seq order. */
function replay(log: ChangeFrame[], since: number, head: number): ChangeFrame[] {
  const latest = new Map<string, ChangeFrame>();
  for (const frame of log.slice(since, head)) latest.set(frame.t === 'stream' ? 'status' : frame.id, frame);
  return [...latest.values()].sort((a, b) => a.seq - b.seq);
}

function applyAll(frames: ChangeFrame[], start: ShownPost[] = []): readonly ShownPost[] {
  const model = new FeedModel(start);
  for (const frame of frames) model.apply(frame);
  return model.posts;
}

/** The final state computed another way: the posts that still exist, pinned first, newest first. */
function finalPosts(log: ChangeFrame[]): ShownPost[] {
  const posts = new Map<string, ShownPost>();
  for (const frame of log) {
    if (frame.t === 'delete') posts.delete(frame.id);
    else if (frame.t !== 'stream') posts.set(frame.id, { id: frame.id, createdSeq: frame.createdSeq, pinned: frame.pinned, seq: frame.seq });
  }
  return [...posts.values()].sort((a, b) => Number(b.pinned) - Number(a.pinned) || b.createdSeq - a.createdSeq);
}

test('applying every change in order shows the posts that exist, pinned first, then newest first', () => {
  fc.assert(
    fc.property(ops, (list) => {
      const log = logOf(list);
      assert.deepEqual(applyAll(log), finalPosts(log));
    }),
  );
});

test('a compacted replay after any seq, applied to the page at that seq, gives the same page as every change in order', () => {
  fc.assert(
    fc.property(ops, fc.nat(), (list, cut) => {
      const log = logOf(list);
      const since = cut % (log.length + 1);
      const page = [...applyAll(log.slice(0, since))];
      assert.deepEqual(applyAll(replay(log, since, log.length), page), applyAll(log));
    }),
  );
});

type Fault = 'publish' | 'lose' | 'duplicate' | 'drop' | 'restart' | 'wait';
const faults = fc.array(fc.constantFrom<Fault>('publish', 'publish', 'publish', 'lose', 'duplicate', 'drop', 'restart', 'wait'), { maxLength: 60 });

test('through any mix of live frames, losses, duplicates, stale frames, drops and restarts, the page ends as the log says', () => {
  fc.assert(
    fc.property(ops, faults, fc.nat(), fc.double({ min: 0, max: 1, noNaN: true }), (list, script, start, jitter) => {
      const log = logOf(list);
      let published = Math.min(start % 4, log.length); // the page was rendered at this head
      const model = new FeedModel([...applyAll(log.slice(0, published))]);
      const timers = new FakeTimers();
      timers.jitter = jitter;
      const transports = new FakeTransports();
      const listener = new RecordingListener();
      let applied = published;
      listener.change = (frame) => {
        assert.ok(frame.seq > applied, 'each change once, in seq order');
        applied = frame.seq;
        model.apply(frame);
      };
      const sent: Frame[] = [];
      let up = true;
      let link: FakeLink | undefined;
      // The server answers each new link a moment later: hello, the compacted replay, then live.
      const open = transports.open;
      const live = new LiveConnection(
        EPOCH,
        published,
        (kind, since, events) => {
          const opened = open(kind, since, events) as FakeLink;
          timers.setTimeout(() => {
            if (opened.closedByPage) return;
            if (!up) return opened.events.closed(1006);
            link = opened;
            opened.events.opened();
            const send = (frame: Frame) => {
              sent.push(frame);
              opened.send(frame);
            };
            send({ t: 'hello', epoch: EPOCH, seq: published, status: 'live' });
            for (const frame of replay(log, Number(since.split('.')[1]), published)) send(frame);
          }, 5);
          return opened;
        },
        listener,
        timers,
      );
      live.connect();
      const current = () => (link && !link.closedByPage ? link : undefined);
      for (const step of script) {
        if (step === 'wait') timers.advance(1000);
        else if (step === 'restart') {
          current()?.events.closed(1001);
          link = undefined;
          up = !up; // down now, or back up
        } else if (step === 'drop') {
          current()?.events.closed(1006);
          link = undefined;
        } else if (step === 'duplicate') {
          const old = sent[Math.floor(jitter * sent.length)];
          if (old) current()?.send(old);
        } else if (published < log.length) {
          const frame = log[published++]!;
          if (step === 'publish') current()?.send(frame);
          sent.push(frame);
        }
      }
      // Then the server stays up and the rest is published, ending with one more change that
      // arrives: a page that lost a frame notices at the next change, and gets there by itself.
      up = true;
      log.push({ t: 'stream', seq: log.length + 1, status: 'live' });
      while (published < log.length) {
        const frame = log[published++]!;
        current()?.send(frame);
      }
      for (let i = 0; i < 100 && !(current() && applied === log.length); i++) timers.runNext();
      assert.equal(applied, log.length, 'caught up');
      assert.deepEqual(model.posts, finalPosts(log));
    }),
  );
});
