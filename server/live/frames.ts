import type { CurrentState } from '../log/fold.ts';
import type { StreamProjection } from '../log/projection.ts';
import { postHtml } from '../render/post-html.ts';
import type { Frame } from '../../shared/protocol.ts';
import { OutboundFrame } from './outbound.ts';

// The messages viewers receive (described in shared/protocol.ts), made from the log. Each change's
// frame is serialised once, and its bytes built once per transport, for every viewer.

const framed = new WeakMap<CurrentState, OutboundFrame>();

/** The frame of a change of `stream`, made once however many viewers it goes to. */
export function changeOutbound(latest: CurrentState, stream: string): OutboundFrame {
  let frame = framed.get(latest);
  if (frame === undefined) {
    frame = new OutboundFrame(JSON.stringify(toFrame(latest, stream)), latest.seq);
    framed.set(latest, frame);
  }
  return frame;
}

/** The text of a change's frame. */
export function changeFrame(latest: CurrentState, stream: string): string {
  return changeOutbound(latest, stream).text;
}

function toFrame(latest: CurrentState, stream: string): Frame {
  switch (latest.kind) {
    case 'post': {
      const { post, seq } = latest;
      const t = post.createdSeq === seq ? 'post' : 'edit';
      const headline = post.headline ? { headline: post.headline } : {};
      return { t, seq, id: post.id, createdSeq: post.createdSeq, pinned: post.pinned, key: post.key === true, ...headline, html: postHtml(latest, stream) };
    }
    case 'deleted':
      return { t: 'delete', seq: latest.seq, id: latest.postId };
    case 'status':
      return { t: 'stream', seq: latest.seq, status: latest.status };
  }
}

export function helloFrame(projection: StreamProjection): string {
  const frame: Frame = { t: 'hello', epoch: projection.stream.epoch, seq: projection.head, status: projection.status.status };
  return JSON.stringify(frame);
}

export const PING_FRAME = JSON.stringify({ t: 'ping' } satisfies Frame);

export function viewersFrame(n: number): string {
  return JSON.stringify({ t: 'viewers', n } satisfies Frame);
}
