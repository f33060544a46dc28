import type { ChangeRecord, MediaRef, StreamRecord } from './records.ts';

/** What an insert came to: stored, or refused because its seq or its key was already taken. */
export type InsertOutcome = 'stored' | 'taken';

/**
 * Where the log lives: the `changes` and `streams` collections and nothing else. Two
 * implementations keep the same promises (MongoDB for the server, memory for tests without a
 * database); the log's rules are all above this line, so both pass the same tests.
 */
export interface ChangeStore {
  /** Every change of a stream in seq order: read once when a process first serves the stream. */
  readAll(stream: string): Promise<ChangeRecord[]>;
  /** The change at exactly this seq, or null: a point lookup, cheap on every backend. */
  at(stream: string, seq: number): Promise<ChangeRecord | null>;
  /**
   * Which of these changes exist, as `stream:seq` ids (`changeId`): the catch-up loop's probe of
   * every watched stream's next seq at once. Only ids are read, never the changes themselves.
   */
  present(ids: readonly string[]): Promise<Set<string>>;
  /**
   * Stores a change unless its seq or its (stream, key) is taken. Throws when the outcome is
   * unknown (timeout, lost connection): the caller must then not assume either.
   */
  insert(record: ChangeRecord): Promise<InsertOutcome>;
  /** Every change of one post, in seq order (for a purge). */
  postHistory(stream: string, postId: string): Promise<ChangeRecord[]>;
  /** Removes a change's post snapshot and marks it purged: the one update the log allows. */
  redact(id: string): Promise<void>;
  /** The photos any change of any stream still refers to. */
  photosReferred(): Promise<Set<MediaRef['id']>>;

  stream(slug: string): Promise<StreamRecord | null>;
  /** Stores a new stream unless the slug is taken. */
  insertStream(record: StreamRecord): Promise<InsertOutcome>;
  /** Newest first. */
  listStreams(limit: number): Promise<StreamRecord[]>;
  countStreams(): Promise<number>;
}
