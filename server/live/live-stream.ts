import type { OutboundFrame } from './outbound.ts';

// What the hub needs of a stream and of the log behind it, given to it rather than imported, so the
// hub knows neither the log's types nor the message format (projection-feed.ts is the real one).

/** A change as the hub sees it: only its place in the stream's log. */
export interface LiveChange {
  readonly seq: number;
}

/** What the hub needs of a stream: where its log stands and what changed after a seq. */
export interface LiveStream<Change extends LiveChange> {
  readonly slug: string;
  readonly head: number;
  /** Compacted: each thing touched after `seq` once, in seq order. */
  changesSince(seq: number): readonly Change[];
}

/**
 * How the hub hears of a stream's changes and turns them into frames. Given, not imported, so the
 * hub knows neither the log's types nor the message format. `frame` must hand back the same frame
 * for the same change: each change is serialised, and framed for each transport, once whatever the
 * number of viewers.
 */
export interface LiveFeed<Stream extends LiveStream<Change>, Change extends LiveChange> {
  /** The first frame of a connection: the stream's epoch, head and status. */
  hello(stream: Stream): string;
  /** A change's frame (with its seq); the stream says where its photos are served from. */
  frame(stream: Stream, change: Change): OutboundFrame;
  /** Calls `listener` for each change the stream applies, in seq order, with when it was stored,
   *  until the returned call. `more`: further changes follow at once (the hub then holds this one
   *  and writes them all to each viewer together). */
  subscribe(stream: Stream, listener: (change: Change, storedAt?: Date, more?: boolean) => void): () => void;
}
