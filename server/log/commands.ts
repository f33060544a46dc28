import { createHash, randomUUID } from 'node:crypto';
import {
  AdminOnly,
  ContributorsSubmit,
  EmptyPost,
  MembershipUnchanged,
  NotAnAuthor,
  NotYourPost,
  PostNotFound,
  StalePost,
  StatusUnchanged,
  StreamEnded,
} from '../errors.ts';
import type { PostVersion, StreamFold } from './fold.ts';
import { cleanBody, cleanHeadline, withHeadline } from './post-text.ts';
import type { AppendResult, StreamProjection } from './projection.ts';
import type { Actor, AuthorRef, ChangeType, MediaRef, PostOrder, PostSnapshot, StreamStatus } from './records.ts';

// What authors do to a stream, each as one change appended to its log. Every rule is checked in
// `decide`, against the state the change will follow: after a conflict with another instance it is
// checked again on the newer state, so no rule can be raced past.

export { cleanHeadline, MAX_BODY_LENGTH, MAX_HEADLINE_LENGTH } from './post-text.ts';
export const KEY_PATTERN = '^[A-Za-z0-9_.:-]{8,128}$';

/** Who asks for a change, and the idempotency key that makes asking twice safe. */
export interface ChangeRequest {
  actor: Actor;
  /** Idempotency key: the same key twice makes one change. */
  key: string;
}

export interface NewPost extends ChangeRequest {
  body: string;
  /** Optional one-line headline; empty or absent means none. */
  headline?: string;
  /** Photos already stored (see media/images.ts). */
  media?: MediaRef[];
}

export interface PostChange extends ChangeRequest {
  postId: string;
  /** The version (seq) the author saw; a change made against an older one is refused (409). */
  baseSeq?: number;
}

/** What was asked, hashed: kept with the change, so a reused key with another request is a 409. */
export function fingerprintOf(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('base64url');
}

/** The actor as recorded in the log: who, without what they were allowed to do then. */
export const authorRefOf = ({ id, name }: Actor): AuthorRef => ({ id, name });

/**
 * Idempotency keys belong to whoever sent them: another author who uses the same key first can
 * neither take over this one's change nor block it with a 409.
 */
export const scopedKey = ({ actor, key }: ChangeRequest) => `${actor.id}/${key}`;

/** Admins write to every stream; anyone else must be one of its authors (contributors submit instead). */
export function ensureAuthor(state: StreamFold, actor: Actor): void {
  if (actor.contributor) throw new ContributorsSubmit();
  if (!actor.admin && !state.authors.has(actor.id)) throw new NotAnAuthor();
}

export function ensureLive(state: StreamFold): void {
  if (state.status.status === 'ended') throw new StreamEnded();
}

/** The post a change is about, checked for existence, version and the actor's right to change it. */
function postToChange(state: StreamFold, change: PostChange, mustOwn: boolean): PostVersion {
  ensureAuthor(state, change.actor);
  const current = state.post(change.postId);
  if (!current) throw new PostNotFound();
  if (change.baseSeq !== undefined && change.baseSeq !== current.seq) throw new StalePost(String(current.seq));
  if (mustOwn && !change.actor.admin && current.post.author.id !== change.actor.id) throw new NotYourPost();
  return current;
}

/** Throws what publishing would refuse, before the caller spends work on photos. */
export function ensureMayPublish(projection: StreamProjection, actor: Actor): void {
  ensureAuthor(projection.state, actor);
  ensureLive(projection.state);
}

/** Publishes a new post. */
export async function publishPost(projection: StreamProjection, request: NewPost): Promise<AppendResult> {
  const text = newPostText(request);
  return projection.append({
    key: scopedKey(request),
    fingerprint: newPostFingerprint('post', request, text),
    decide: (state, seq) => {
      ensureAuthor(state, request.actor);
      ensureLive(state);
      const post = firstSnapshot(request.actor, seq, text);
      return { type: 'post', by: authorRefOf(request.actor), postId: post.id, post };
    },
  });
}

/** What a new post's request asked (to tell a retry from a reused key): published, submitted or scheduled alike. */
export function newPostFingerprint(type: ChangeType, request: NewPost, text: ReturnType<typeof newPostText>, extra: object = {}): string {
  return fingerprintOf({ type, by: request.actor.id, ...text, media: text.media.map((m) => [m.id, m.alt]), ...extra });
}

/** A new post's text, checked: a photo can carry the whole message, so text is optional then. */
export function newPostText(request: NewPost): { body: string; headline?: string; media: MediaRef[] } {
  const media = request.media ?? [];
  const body = media.length && !request.body.trim() ? '' : cleanBody(request.body);
  return { body, headline: cleanHeadline(request.headline), media };
}

/** A new post's first snapshot (published now, or submitted for review). */
export function firstSnapshot(actor: Actor, seq: number, { body, headline, media }: ReturnType<typeof newPostText>): PostSnapshot {
  return {
    id: randomUUID(),
    author: authorRefOf(actor),
    body,
    createdAt: new Date(),
    createdSeq: seq,
    pinned: false,
    ...(headline ? { headline } : {}),
    ...(media.length ? { media } : {}),
  };
}

/**
 * Replaces a post's text, its headline, or both (an empty headline removes it); viewers see it
 * marked "edited". Whatever is left out stays as it was. A post with photos may lose its text, as
 * it may be published without any.
 */
export async function editPost(
  projection: StreamProjection,
  request: PostChange & { body?: string; headline?: string },
): Promise<AppendResult> {
  // Blank text is '' here, refused below unless the post has a photo (known only from its state).
  const body = request.body === undefined ? undefined : request.body.trim() ? cleanBody(request.body) : '';
  const headline = request.headline === undefined ? undefined : (cleanHeadline(request.headline) ?? '');
  if (body === undefined && headline === undefined) throw new EmptyPost();
  return projection.append({
    key: scopedKey(request),
    fingerprint: fingerprintOf({ type: 'edit', by: request.actor.id, postId: request.postId, baseSeq: request.baseSeq, body, headline }),
    decide: (state) => {
      const current = postToChange(state, request, true);
      if (body === '' && !current.post.media?.length) throw new EmptyPost();
      const text = { ...current.post, body: body ?? current.post.body, editedAt: new Date() };
      return {
        type: 'edit',
        by: authorRefOf(request.actor),
        postId: request.postId,
        post: headline === undefined ? text : withHeadline(text, headline),
      };
    },
  });
}

/** Pins a post above the rest, or unpins it. Any author of the stream may (it is editorial). */
export async function pinPost(projection: StreamProjection, request: PostChange & { pinned: boolean }): Promise<AppendResult> {
  return projection.append({
    key: scopedKey(request),
    fingerprint: fingerprintOf({ type: 'pin', by: request.actor.id, postId: request.postId, pinned: request.pinned }),
    decide: (state) => {
      const current = postToChange(state, request, false);
      return { type: 'pin', by: authorRefOf(request.actor), postId: request.postId, post: { ...current.post, pinned: request.pinned } };
    },
  });
}

/**
 * Marks a post as a key moment (listed at the top of the page), or unmarks it. Any author of the
 * stream may, like pinning; marking a post that already is one is allowed and changes nothing.
 */
export async function markKeyMoment(projection: StreamProjection, request: PostChange & { keyMoment: boolean }): Promise<AppendResult> {
  return projection.append({
    key: scopedKey(request),
    fingerprint: fingerprintOf({ type: 'key', by: request.actor.id, postId: request.postId, keyMoment: request.keyMoment }),
    decide: (state) => {
      const { key: _old, ...post } = postToChange(state, request, false).post;
      return { type: 'key', by: authorRefOf(request.actor), postId: request.postId, post: request.keyMoment ? { ...post, key: true } : post };
    },
  });
}

/** Deletes a post: replay and the API never serve its text again. */
export async function deletePost(projection: StreamProjection, request: PostChange): Promise<AppendResult> {
  return projection.append({
    key: scopedKey(request),
    fingerprint: fingerprintOf({ type: 'delete', by: request.actor.id, postId: request.postId, baseSeq: request.baseSeq }),
    decide: (state) => {
      postToChange(state, request, true);
      return { type: 'delete', by: authorRefOf(request.actor), postId: request.postId };
    },
  });
}

/** Ends a stream (no more posts; viewers see "ended") or reopens it. */
export async function setStatus(projection: StreamProjection, request: ChangeRequest & { status: StreamStatus }): Promise<AppendResult> {
  return projection.append({
    key: scopedKey(request),
    fingerprint: fingerprintOf({ type: 'status', by: request.actor.id, status: request.status }),
    decide: (state) => {
      ensureAuthor(state, request.actor);
      if (state.status.status === request.status) throw new StatusUnchanged(request.status);
      return { type: 'status', by: authorRefOf(request.actor), status: request.status };
    },
  });
}

/** Sets the order the stream's readers see by default. Admins only: a change in the log like any
 *  other, so every instance (and the export) learns it; pages already open keep theirs. */
export async function setOrder(projection: StreamProjection, request: ChangeRequest & { order: PostOrder }): Promise<AppendResult> {
  return projection.append({
    key: scopedKey(request),
    fingerprint: fingerprintOf({ type: 'order', by: request.actor.id, order: request.order }),
    decide: () => {
      if (!request.actor.admin) throw new AdminOnly();
      return { type: 'order', by: authorRefOf(request.actor), order: request.order };
    },
  });
}

/** Adds an author to the stream, or removes one. Admins only. */
export async function setAuthor(
  projection: StreamProjection,
  request: ChangeRequest & { member: AuthorRef; active: boolean },
): Promise<AppendResult> {
  return projection.append({
    key: scopedKey(request),
    fingerprint: fingerprintOf({ type: 'member', by: request.actor.id, member: request.member.id, active: request.active }),
    decide: (state) => {
      if (!request.actor.admin) throw new AdminOnly();
      if (state.authors.has(request.member.id) === request.active) {
        throw new MembershipUnchanged(request.member.name, request.active ? 'already' : 'not');
      }
      return { type: 'member', by: authorRefOf(request.actor), member: authorRefOf({ ...request.member, admin: false }), active: request.active };
    },
  });
}
