import { randomUUID } from 'node:crypto';
import { DatabaseUnavailable, InvalidPublishAt, LivelogError, NotDue, NotYourPost, ScheduledNotFound, TooManyScheduled } from '../errors.ts';
import { authorRefOf, ensureAuthor, ensureLive, fingerprintOf, firstSnapshot, type NewPost, newPostFingerprint, newPostText, scopedKey } from './commands.ts';
import type { StreamFold } from './fold.ts';
import { cleanBody, cleanHeadline, withHeadline } from './post-text.ts';
import type { AppendResult, StreamProjection } from './projection.ts';
import type { Actor } from './records.ts';
import type { ScheduledPost } from './scheduled.ts';
import { hintIdOf, type ScheduleHints } from './schedule-hints.ts';

// Posts an author schedules for later: each scheduling, edit and cancellation is a change in the
// log (viewers never see its text), and the publication at its time is one more, keyed by the post
// (`publish:ID`): every instance's scheduler may try it, the unique {stream, key} lets one through.

export const MAX_SCHEDULED_PER_STREAM = 50;
export const MAX_SCHEDULE_AHEAD_DAYS = 90;
const DAY_MS = 24 * 3600 * 1000;

/** A publication time: in the future, and not further than a stream is likely to live. */
export function checkPublishAt(publishAt: Date, now = new Date()): Date {
  const ahead = publishAt.getTime() - now.getTime();
  if (!Number.isFinite(ahead) || ahead <= 0 || ahead > MAX_SCHEDULE_AHEAD_DAYS * DAY_MS) throw new InvalidPublishAt(MAX_SCHEDULE_AHEAD_DAYS);
  return publishAt;
}

interface ScheduledChange {
  actor: Actor;
  key: string;
  postId: string;
}

/** A scheduled post that the actor may change: their own (an admin: any). */
function scheduledToChange(state: StreamFold, { actor, postId }: ScheduledChange): ScheduledPost {
  ensureAuthor(state, actor);
  const scheduled = state.scheduled.get(postId);
  if (!scheduled) throw new ScheduledNotFound();
  if (!actor.admin && scheduled.post.author.id !== actor.id) throw new NotYourPost();
  return scheduled;
}

/** Stores a post to publish at `publishAt`. */
export async function schedulePost(projection: StreamProjection, hints: ScheduleHints, request: NewPost & { publishAt: Date }): Promise<AppendResult> {
  const publishAt = checkPublishAt(request.publishAt);
  const text = newPostText(request);
  const id = randomUUID();
  ensureAuthor(projection.state, request.actor);
  // The hint first: a change without one would wait until someone opened its stream. The hint is
  // this attempt's own (a new id), so a refusal or a replay takes it back: no orphans pile up. An
  // unknown outcome (the database unavailable) keeps it: the change may have been stored.
  const hint = hintIdOf(projection.slug, id, publishAt);
  await hints.add(projection.slug, id, publishAt);
  const result = await projection
    .append({
      key: scopedKey(request),
      fingerprint: newPostFingerprint('schedule', request, text, { publishAt }),
      decide: (state, seq) => {
        ensureAuthor(state, request.actor);
        ensureLive(state);
        if (state.scheduled.size >= MAX_SCHEDULED_PER_STREAM) throw new TooManyScheduled(MAX_SCHEDULED_PER_STREAM);
        const post = { ...firstSnapshot(request.actor, seq, text), id };
        return { type: 'schedule', by: authorRefOf(request.actor), postId: id, post, publishAt };
      },
    })
    .catch(async (error: unknown) => {
      if (error instanceof LivelogError && !(error instanceof DatabaseUnavailable)) await hints.remove([hint]);
      throw error;
    });
  if (result.replayed) await hints.remove([hint]);
  return result;
}

/** Changes a scheduled post's text, headline or time (what is left out stays). */
export async function editScheduled(
  projection: StreamProjection,
  hints: ScheduleHints,
  request: ScheduledChange & { body?: string; headline?: string; publishAt?: Date },
): Promise<AppendResult> {
  const publishAt = request.publishAt && checkPublishAt(request.publishAt);
  const body = request.body === undefined ? undefined : cleanBody(request.body);
  const headline = request.headline === undefined ? undefined : (cleanHeadline(request.headline) ?? '');
  if (publishAt) {
    // Only for a post the actor may change: a refused edit leaves no hint behind (a hint's id is
    // shared with earlier ones at the same time, so it cannot be taken back after the fact).
    ensureAuthor(projection.state, request.actor);
    if (!projection.state.scheduled.get(request.postId)) await projection.refresh(); // scheduled on another instance a moment ago
    scheduledToChange(projection.state, request);
    await hints.add(projection.slug, request.postId, publishAt);
  }
  return projection.append({
    key: scopedKey(request),
    fingerprint: fingerprintOf({ type: 'schedule', by: request.actor.id, postId: request.postId, body, headline, publishAt }),
    decide: (state) => {
      const scheduled = scheduledToChange(state, request);
      const text = { ...scheduled.post, body: body ?? scheduled.post.body };
      const post = headline === undefined ? text : withHeadline(text, headline);
      return { type: 'schedule', by: authorRefOf(request.actor), postId: request.postId, post, publishAt: publishAt ?? scheduled.publishAt };
    },
  });
}

export async function cancelScheduled(projection: StreamProjection, request: ScheduledChange): Promise<AppendResult> {
  return projection.append({
    key: scopedKey(request),
    fingerprint: fingerprintOf({ type: 'unschedule', by: request.actor.id, postId: request.postId }),
    decide: (state) => {
      scheduledToChange(state, request);
      return { type: 'unschedule', by: authorRefOf(request.actor), postId: request.postId };
    },
  });
}

/** Publishes a scheduled post whose time has come, once however many schedulers try at once. */
export async function publishScheduled(projection: StreamProjection, postId: string, now = new Date()): Promise<AppendResult> {
  return projection.append({
    key: `publish:${postId}`,
    fingerprint: fingerprintOf({ type: 'publish', postId }),
    decide: (state, seq) => {
      const scheduled = state.scheduled.get(postId);
      if (!scheduled) throw new ScheduledNotFound();
      if (scheduled.publishAt.getTime() > now.getTime()) throw new NotDue();
      ensureLive(state);
      return { type: 'publish', by: scheduled.by, postId, post: { ...scheduled.post, createdAt: new Date(), createdSeq: seq } };
    },
  });
}

/** Announces when the stream starts ("Starts at …" before its first post), or withdraws it (null). */
export async function announceStart(projection: StreamProjection, request: { actor: Actor; key: string; startsAt: Date | null }): Promise<AppendResult> {
  const startsAt = request.startsAt && checkPublishAt(request.startsAt);
  return projection.append({
    key: scopedKey(request),
    fingerprint: fingerprintOf({ type: 'announce', by: request.actor.id, startsAt }),
    decide: (state) => {
      ensureAuthor(state, request.actor);
      return { type: 'announce', by: authorRefOf(request.actor), ...(startsAt ? { startsAt } : {}) };
    },
  });
}
