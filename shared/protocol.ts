// The messages a viewer receives, on every transport: the server sends them (server/live/frames.ts)
// and the page script reads them (client/), so both sides compile against this one description.
// Types and tiny constants only: esbuild bundles this file into the browser script.

export type StreamStatus = 'live' | 'ended';

export type Frame =
  /** First frame of a connection: the stream's epoch and head, and the replay that follows. */
  | { t: 'hello'; epoch: string; seq: number; status: StreamStatus }
  /**
   * A post's whole current state: `post` when new, `edit` after an edit, a pin or a key mark. `key`
   * (always sent by the server) and `headline` (absent when none) keep the key-moments list current.
   */
  | { t: 'post' | 'edit'; seq: number; id: string; createdSeq: number; pinned: boolean; key?: boolean; headline?: string; html: string }
  | { t: 'delete'; seq: number; id: string }
  | { t: 'stream'; seq: number; status: StreamStatus }
  | { t: 'viewers'; n: number }
  | { t: 'ping' };

/** A frame that carries one change of the stream's log, at its seq. */
export type ChangeFrame = Extract<Frame, { t: 'post' | 'edit' | 'delete' | 'stream' }>;

/** A post's frame: what the page needs to show it, and where. */
export type PostFrame = Extract<Frame, { t: 'post' | 'edit' }>;

/** Websocket close code: the server is shutting down or restarting, and will be back. */
export const CLOSE_GOING_AWAY = 1001;
/** Websocket close code: a viewer broke the rules, e.g. sent messages (RFC 6455: policy violation). */
export const CLOSE_POLICY_VIOLATION = 1008;
/** Websocket close code: the stream does not exist (any more); trying again will not help. */
export const CLOSE_STREAM_GONE = 4404;
/** Websocket close code: the resume point (`since`) is malformed. */
export const CLOSE_BAD_RESUME_POINT = 4400;
/** Websocket close code: the database is down and this stream is not in memory; try again later. */
export const CLOSE_UNAVAILABLE = 4503;
