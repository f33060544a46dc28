import type { CurrentState } from '../log/fold.ts';
import type { StreamProjection } from '../log/projection.ts';
import { postHtml } from '../render/post-html.ts';
import type { Frame } from '../../shared/protocol.ts';

// The messages viewers receive (described in shared/protocol.ts), made from the log. Each change's
// frame is serialised once and the same string goes to every viewer.

const serialised = new WeakMap<CurrentState, string>();

/** The frame of a change of `stream`, serialised once however many viewers it goes to. */
export function changeFrame(latest: CurrentState, stream: string): string {
  let text = serialised.get(latest);
  if (text === undefined) {
    text = JSON.stringify(toFrame(latest, stream));
    serialised.set(latest, text);
  }
  return text;
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
