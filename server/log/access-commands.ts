import { AdminOnly, NoViewerLinks, TooManyViewerLinks, VisibilityUnchanged } from '../errors.ts';
import { authorRefOf, type ChangeRequest, fingerprintOf, scopedKey } from './commands.ts';
import type { AppendRequest, AppendResult, StreamProjection } from './projection.ts';
import type { Visibility } from './records.ts';
import { MAX_VIEWER_LINKS, newViewerKey } from './visibility.ts';

// What admins do to who may watch a stream, each as one change appended to its log (like its
// authors): every instance folds them in order, and lets go of viewers they no longer admit.

/**
 * Appends after catching up with the log: these rules refuse on what they read (no links to revoke,
 * already private), and a refusal read from a head another instance has just moved past would tell
 * an admin "nothing to do" while a link made there a moment ago still works.
 */
async function appendOnLatest(projection: StreamProjection, request: AppendRequest): Promise<AppendResult> {
  await projection.catchUp();
  return projection.append(request);
}

/** Makes a stream public, unlisted or private. Admins only. */
export async function setVisibility(projection: StreamProjection, request: ChangeRequest & { visibility: Visibility }): Promise<AppendResult> {
  return appendOnLatest(projection, {
    key: scopedKey(request),
    fingerprint: fingerprintOf({ type: 'visibility', by: request.actor.id, visibility: request.visibility }),
    decide: () => {
      if (!request.actor.admin) throw new AdminOnly();
      if (projection.access.visibility === request.visibility) throw new VisibilityUnchanged(request.visibility);
      return { type: 'visibility', by: authorRefOf(request.actor), visibility: request.visibility };
    },
  });
}

/**
 * A new viewer link: its key is returned this once, only its hash goes into the log. Admins only.
 * A retried request (same idempotency key) makes no second link, but cannot show the key again.
 */
export async function addViewerLink(projection: StreamProjection, request: ChangeRequest): Promise<AppendResult & { key?: string }> {
  const { key, hash } = newViewerKey();
  const result = await appendOnLatest(projection, {
    key: scopedKey(request),
    fingerprint: fingerprintOf({ type: 'viewer-link', by: request.actor.id }),
    decide: (state) => {
      if (!request.actor.admin) throw new AdminOnly();
      if (state.access.viewerLinks.size >= MAX_VIEWER_LINKS) throw new TooManyViewerLinks(MAX_VIEWER_LINKS);
      return { type: 'viewer-link', by: authorRefOf(request.actor), link: hash };
    },
  });
  return result.replayed ? result : { ...result, key };
}

/** Every viewer link of the stream stops working; their viewers are let go. Admins only. */
export async function revokeViewerLinks(projection: StreamProjection, request: ChangeRequest): Promise<AppendResult> {
  return appendOnLatest(projection, {
    key: scopedKey(request),
    fingerprint: fingerprintOf({ type: 'revoke-links', by: request.actor.id }),
    decide: (state) => {
      if (!request.actor.admin) throw new AdminOnly();
      if (state.access.viewerLinks.size === 0) throw new NoViewerLinks();
      return { type: 'revoke-links', by: authorRefOf(request.actor) };
    },
  });
}
