import type { Latest, StreamProjection } from '../stream/projection.ts';
import type { Frame } from '../../shared/protocol.ts';

// The messages viewers receive (described in shared/protocol.ts), made from the log. Each change's
// frame is serialised once and the same string goes to every viewer.

const serialised = new WeakMap<Latest, string>();

export function changeFrame(latest: Latest): string {
  let text = serialised.get(latest);
  if (text === undefined) {
    text = JSON.stringify(toFrame(latest));
    serialised.set(latest, text);
  }
  return text;
}

function toFrame(latest: Latest): Frame {
  switch (latest.kind) {
    case 'post': {
      const { post, seq, html } = latest;
      const t = post.createdSeq === seq ? 'post' : 'edit';
      return { t, seq, id: post.id, createdSeq: post.createdSeq, pinned: post.pinned, html };
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

/** A resume point: `SEQ` (current epoch) or `EPOCH.SEQ`. */
export interface ResumePoint {
  epoch?: string;
  seq: number;
}

export function parseResumePoint(text: string | undefined): ResumePoint | null {
  if (text === undefined || text === '') return { seq: 0 };
  const match = /^(?:([A-Za-z0-9_-]{1,32})\.)?(\d{1,12})$/.exec(text);
  return match ? { epoch: match[1], seq: Number(match[2]) } : null;
}

/** The seq to replay after: a resume point from another epoch of the stream starts from scratch. */
export function replayAfter(point: ResumePoint, projection: StreamProjection): number {
  if (point.epoch !== undefined && point.epoch !== projection.stream.epoch) return 0;
  return Math.min(point.seq, projection.head);
}
