import createError from '@fastify/error';
import { fingerprintOf, newPostId, type AppendResult, type StreamProjection } from './projection.ts';
import type { AuthorRef } from './types.ts';

export const MAX_BODY_LENGTH = 10_000;
export const KEY_PATTERN = '^[A-Za-z0-9_.:-]{8,128}$';

export const EmptyPost = createError('LIVELOG_EMPTY_POST', 'A post needs some text', 400);
export const PostTooLong = createError('LIVELOG_POST_TOO_LONG', `A post is at most ${MAX_BODY_LENGTH} characters`, 400);
export const InvalidText = createError('LIVELOG_INVALID_TEXT', 'Text cannot contain NUL characters', 400);

export interface NewPost {
  author: AuthorRef;
  body: string;
  /** Idempotency key: the same key twice publishes once. */
  key: string;
}

/** Publishes a new post to a stream: one `post` change appended to its log. */
export async function publishPost(projection: StreamProjection, request: NewPost): Promise<AppendResult> {
  const body = request.body.replace(/\r\n?/g, '\n').trim();
  if (!body) throw new EmptyPost();
  if (body.length > MAX_BODY_LENGTH) throw new PostTooLong();
  if (body.includes('\0')) throw new InvalidText();
  return projection.append({
    key: request.key,
    fingerprint: fingerprintOf({ type: 'post', author: request.author.id, body }),
    decide: (_state, seq) => {
      const id = newPostId();
      return {
        type: 'post',
        postId: id,
        post: { id, author: request.author, body, createdAt: new Date(), createdSeq: seq },
      };
    },
  });
}
