// Resume points: where a viewer or an API caller says it stands in a stream's log. The epoch
// changes when a stream is re-created, so a point from its older life is not trusted.

/** A resume point: `SEQ` (current epoch) or `EPOCH.SEQ`. */
export interface ResumePoint {
  epoch?: string;
  seq: number;
}

/** Null when the text is not a resume point; none at all means "from the start". */
export function parseResumePoint(text: string | undefined): ResumePoint | null {
  if (text === undefined || text === '') return { seq: 0 };
  const match = /^(?:([A-Za-z0-9_-]{1,32})\.)?(\d{1,12})$/.exec(text);
  return match ? { epoch: match[1], seq: Number(match[2]) } : null;
}

/** The seq to replay after: a resume point from another epoch of the stream starts from scratch. */
export function replayAfter(point: ResumePoint, stream: { epoch: string; head: number }): number {
  if (point.epoch !== undefined && point.epoch !== stream.epoch) return 0;
  return Math.min(point.seq, stream.head);
}
