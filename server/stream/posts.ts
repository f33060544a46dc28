import createError from '@fastify/error';
import { fingerprintOf, newPostId, type AppendResult, type StreamProjection, type PostView } from './projection.ts';
import type { Actor, AuthorRef, MediaRef, StreamStatus } from './types.ts';

// What authors do to a stream, each as one change appended to its log. Every rule is checked in
// `decide`, against the state the change will follow: after a conflict with another instance it is
// checked again on the newer state, so no rule can be raced past.

export const MAX_BODY_LENGTH = 10_000;
export const KEY_PATTERN = '^[A-Za-z0-9_.:-]{8,128}$';

export const EmptyPost = createError('LIVELOG_EMPTY_POST', 'A post needs some text', 400);
export const PostTooLong = createError('LIVELOG_POST_TOO_LONG', `A post is at most ${MAX_BODY_LENGTH} characters`, 400);
export const InvalidText = createError('LIVELOG_INVALID_TEXT', 'Text cannot contain NUL characters', 400);
export const PostNotFound = createError('LIVELOG_POST_NOT_FOUND', 'No such post in this stream (it may have been deleted)', 404);
export const StalePost = createError(
  'LIVELOG_STALE_POST',
  'This post was changed since you opened it (now at version %s); reload it and make your change again',
  409,
);
export const NotYourPost = createError('LIVELOG_NOT_YOUR_POST', 'Only the author of a post or an admin can change it', 403);
export const StreamEnded = createError('LIVELOG_STREAM_ENDED', 'This stream has ended; reopen it to post again', 409);
export const StatusUnchanged = createError('LIVELOG_STATUS_UNCHANGED', 'The stream is already %s', 409);
export const NotAnAuthor = createError('LIVELOG_NOT_AN_AUTHOR', 'You are not an author of this stream; an admin can add you', 403);
export const AdminOnly = createError('LIVELOG_ADMIN_ONLY', 'Only an admin can do this', 403);
export const MembershipUnchanged = createError('LIVELOG_MEMBERSHIP_UNCHANGED', '"%s" is %s an author of this stream', 409);

interface Keyed {
  actor: Actor;
  /** Idempotency key: the same key twice makes one change. */
  key: string;
}

export interface NewPost extends Keyed {
  body: string;
  /** Photos already stored (see media/images.ts). */
  media?: MediaRef[];
}

export interface PostChange extends Keyed {
  postId: string;
  /** The version (seq) the author saw; a change made against an older one is refused (409). */
  baseSeq?: number;
}

function cleanBody(text: string): string {
  const body = text.replace(/\r\n?/g, '\n').trim();
  if (!body) throw new EmptyPost();
  if (body.length > MAX_BODY_LENGTH) throw new PostTooLong();
  if (body.includes('\0')) throw new InvalidText();
  return body;
}

const byOf = ({ id, name }: Actor) => ({ id, name });

/**
 * Idempotency keys belong to whoever sent them: another author who uses the same key first can
 * neither take over this one's change nor block it with a 409.
 */
const scopedKey = ({ actor, key }: Keyed) => `${actor.id}/${key}`;

/** Admins write to every stream; anyone else must be one of its authors. */
function ensureAuthor(state: StreamProjection, actor: Actor): void {
  if (!actor.admin && !state.authors.has(actor.id)) throw new NotAnAuthor();
}

function ensureLive(state: StreamProjection): void {
  if (state.status.status === 'ended') throw new StreamEnded();
}

/** The current post, checked for existence, version and the actor's right to change it. */
function changeable(state: StreamProjection, change: PostChange, mustOwn: boolean): PostView {
  ensureAuthor(state, change.actor);
  const current = state.post(change.postId);
  if (!current) throw new PostNotFound();
  if (change.baseSeq !== undefined && change.baseSeq !== current.seq) throw new StalePost(String(current.seq));
  if (mustOwn && !change.actor.admin && current.post.author.id !== change.actor.id) throw new NotYourPost();
  return current;
}

/** Throws what publishing would refuse, before the caller spends work on photos. */
export function ensureMayPublish(projection: StreamProjection, actor: Actor): void {
  ensureAuthor(projection, actor);
  ensureLive(projection);
}

/** Publishes a new post. */
export async function publishPost(projection: StreamProjection, request: NewPost): Promise<AppendResult> {
  const media = request.media ?? [];
  // A photo can carry the whole message: text is optional then.
  const body = media.length && !request.body.trim() ? '' : cleanBody(request.body);
  return projection.append({
    key: scopedKey(request),
    fingerprint: fingerprintOf({ type: 'post', by: request.actor.id, body, media: media.map((m) => [m.id, m.alt]) }),
    decide: (state, seq) => {
      ensureAuthor(state, request.actor);
      ensureLive(state);
      const id = newPostId();
      return {
        type: 'post',
        by: byOf(request.actor),
        postId: id,
        post: {
          id,
          author: byOf(request.actor),
          body,
          createdAt: new Date(),
          createdSeq: seq,
          pinned: false,
          ...(media.length ? { media } : {}),
        },
      };
    },
  });
}

/** Replaces a post's text; viewers see it marked "edited". */
export async function editPost(projection: StreamProjection, request: PostChange & { body: string }): Promise<AppendResult> {
  const body = cleanBody(request.body);
  return projection.append({
    key: scopedKey(request),
    fingerprint: fingerprintOf({ type: 'edit', by: request.actor.id, postId: request.postId, baseSeq: request.baseSeq, body }),
    decide: (state) => {
      const current = changeable(state, request, true);
      return {
        type: 'edit',
        by: byOf(request.actor),
        postId: request.postId,
        post: { ...current.post, body, editedAt: new Date() },
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
      const current = changeable(state, request, false);
      return { type: 'pin', by: byOf(request.actor), postId: request.postId, post: { ...current.post, pinned: request.pinned } };
    },
  });
}

/** Deletes a post: replay and the API never serve its text again. */
export async function deletePost(projection: StreamProjection, request: PostChange): Promise<AppendResult> {
  return projection.append({
    key: scopedKey(request),
    fingerprint: fingerprintOf({ type: 'delete', by: request.actor.id, postId: request.postId, baseSeq: request.baseSeq }),
    decide: (state) => {
      changeable(state, request, true);
      return { type: 'delete', by: byOf(request.actor), postId: request.postId };
    },
  });
}

/** Ends a stream (no more posts; viewers see "ended") or reopens it. */
export async function setStatus(projection: StreamProjection, request: Keyed & { status: StreamStatus }): Promise<AppendResult> {
  return projection.append({
    key: scopedKey(request),
    fingerprint: fingerprintOf({ type: 'status', by: request.actor.id, status: request.status }),
    decide: (state) => {
      ensureAuthor(state, request.actor);
      if (state.status.status === request.status) throw new StatusUnchanged(request.status);
      return { type: 'status', by: byOf(request.actor), status: request.status };
    },
  });
}

/** Adds an author to the stream, or removes one. Admins only. */
export async function setAuthor(
  projection: StreamProjection,
  request: Keyed & { member: AuthorRef; active: boolean },
): Promise<AppendResult> {
  return projection.append({
    key: scopedKey(request),
    fingerprint: fingerprintOf({ type: 'member', by: request.actor.id, member: request.member.id, active: request.active }),
    decide: (state) => {
      if (!request.actor.admin) throw new AdminOnly();
      if (state.authors.has(request.member.id) === request.active) {
        throw new MembershipUnchanged(request.member.name, request.active ? 'already' : 'not');
      }
      return { type: 'member', by: byOf(request.actor), member: byOf({ ...request.member, admin: false }), active: request.active };
    },
  });
}
