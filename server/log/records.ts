/** Who wrote a post, copied into each snapshot so history survives renames and deletions. */
export interface AuthorRef {
  id: string;
  name: string;
}

/** Whoever makes a change, with what they may do. */
export interface Actor extends AuthorRef {
  admin: boolean;
  /** A contributor submits posts that an author or admin of the stream approves (or rejects). */
  contributor?: boolean;
}

/** How a post refers to a photo: only by the id the server issued (the hash of what it stored). */
export interface MediaRef {
  id: string;
  alt: string;
  width: number;
  height: number;
}

/** The full state of a post after a change: replay sends this, never a diff. */
export interface PostSnapshot {
  id: string;
  author: AuthorRef;
  /** Markdown source as the author typed it; rendered (and sanitised) on the way out. */
  body: string;
  createdAt: Date;
  createdSeq: number;
  pinned: boolean;
  /** A key moment (a goal, a result): listed at the top of the page and announced to subscribers. */
  key?: boolean;
  /** An optional one-line headline, plain text, shown above the body. */
  headline?: string;
  editedAt?: Date;
  /** Photos, shown below the text in this order. */
  media?: MediaRef[];
}

export type StreamStatus = 'live' | 'ended';

/** The order a stream's page shows its posts in: the stream's setting, which a reader may override. */
export type PostOrder = 'newest' | 'oldest';

/**
 * post: created; edit: new text or headline; pin: pinned or unpinned; key: marked a key moment or
 * not; delete: gone; status: started or ended; member: an author added to or removed from the stream;
 * order: the order readers see by default; visibility: who may watch; viewer-link: a new link that
 * lets its holders watch a private stream; revoke-links: every viewer link so far stops working.
 * submit: a contributor's post waiting for review (its snapshot is never shown to viewers);
 * approve: that post published (its key derives from the submission, so it happens once);
 * reject: the submission turned down, with the reason its contributor sees.
 * schedule: a post to publish at `publishAt` (again for an edit of it; never shown before then);
 * unschedule: cancelled; publish: published at its time (keyed by the post, so once);
 * announce: when the stream starts, shown before its first post (`startsAt` absent: no announcement).
 */
export type ChangeType =
  | 'post'
  | 'edit'
  | 'pin'
  | 'key'
  | 'delete'
  | 'status'
  | 'member'
  | 'order'
  | 'visibility'
  | 'viewer-link'
  | 'revoke-links'
  | ReviewChangeType
  | ScheduleChangeType;
export type ReviewChangeType = 'submit' | 'approve' | 'reject';
export type ScheduleChangeType = 'schedule' | 'unschedule' | 'publish' | 'announce';

/** Who may watch a stream (see visibility.ts): anyone and listed, anyone with the address, or only
 *  those it admits (members, admins, holders of a viewer link). */
export type Visibility = 'public' | 'unlisted' | 'private';

/**
 * One record of a stream's append-only log. `_id` is `slug:seq` (seq padded to 12 digits): unique by
 * construction, ordered as text, and an exact `_id` lookup is the query FerretDB on SQLite serves
 * from an index, so probing for `head + 1` is cheap.
 */
export interface ChangeRecord {
  _id: string;
  stream: string;
  seq: number;
  /** Idempotency key, unique per stream: a retried request finds its first result. */
  key: string;
  /** Hash of what was asked, so a reused key with a different request can be told apart (409). */
  fingerprint: string;
  at: Date;
  type: ChangeType;
  /** Who made the change. */
  by: AuthorRef;
  /** The post a post change is about. */
  postId?: string;
  /** The post's whole new state (post, edit, pin). Removed from older records by a purge. */
  post?: PostSnapshot;
  /** The stream's new status (status changes). */
  status?: StreamStatus;
  /** The stream's new default order (order changes). */
  order?: PostOrder;
  /** Who joins or leaves the stream's authors (member changes), and which. */
  member?: AuthorRef;
  active?: boolean;
  /** Why a submission was rejected (reject changes), shown to its contributor. */
  reason?: string;
  /** When a scheduled post is to be published (schedule changes). */
  publishAt?: Date;
  /** When the stream starts (announce changes). */
  startsAt?: Date;
  /** The stream's new visibility (visibility changes). */
  visibility?: Visibility;
  /** A new viewer link (viewer-link changes): the SHA-256 of its secret; the secret is never stored. */
  link?: string;
  /** Set on records whose snapshot a purge removed (legal or privacy requests). */
  purged?: true;
}

export interface StreamRecord {
  _id: string; // the slug
  title: string;
  description: string;
  /** Changes when a stream is re-created, so a resume point from an older life is not trusted. */
  epoch: string;
  /** The order readers see by default when the stream was made (absent: newest). An admin changes it
   *  later with an `order` change in the log, so every instance and the export learn it. */
  order?: PostOrder;
  /** Who may watch when the stream was made (absent: public); later changes are in the log. */
  visibility?: Visibility;
  createdBy: string;
  createdAt: Date;
}

export const SLUG_PATTERN = '^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$';

export function changeId(stream: string, seq: number): string {
  return `${stream}:${String(seq).padStart(12, '0')}`;
}
