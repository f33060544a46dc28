import type { PostView } from '../stream/projection.ts';
import type { StreamProjection } from '../stream/projection.ts';

// The messages viewers receive, on every transport. Each post frame is serialised once and the
// same string goes to every socket.

export interface HelloFrame {
  t: 'hello';
  epoch: string;
  seq: number;
}

export interface PostFrame {
  t: 'post';
  seq: number;
  id: string;
  createdSeq: number;
  html: string;
}

export interface PingFrame {
  t: 'ping';
}

export type Frame = HelloFrame | PostFrame | PingFrame;

const serialised = new WeakMap<PostView, string>();

export function postFrame(view: PostView): string {
  let text = serialised.get(view);
  if (text === undefined) {
    const frame: PostFrame = { t: 'post', seq: view.seq, id: view.post.id, createdSeq: view.post.createdSeq, html: view.html };
    text = JSON.stringify(frame);
    serialised.set(view, text);
  }
  return text;
}

export function helloFrame(projection: StreamProjection): string {
  const frame: HelloFrame = { t: 'hello', epoch: projection.stream.epoch, seq: projection.head };
  return JSON.stringify(frame);
}

export const PING_FRAME = JSON.stringify({ t: 'ping' } satisfies PingFrame);

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
