import { AdminOnly, NoViewerLinks, TooManyViewerLinks, VisibilityUnchanged } from '../errors.ts';
import { authorRefOf, type ChangeRequest, fingerprintOf, scopedKey } from './commands.ts';
import type { AppendResult, StreamProjection } from './projection.ts';
import type { Visibility } from './records.ts';
import { MAX_VIEWER_LINKS, newViewerKey } from './visibility.ts';

// What admins do to who may watch a stream, each as one change appended to its log (like its
// authors): every instance folds them in order, and lets go of viewers they no longer admit.

/** Makes a stream public, unlisted or private. Admins only. */
export async function setVisibility(projection: StreamProjection, request: ChangeRequest & { visibility: Visibility }): Promise<AppendResult> {
  return projection.append({
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
  const result = await projection.append({
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
  return projection.append({
    key: scopedKey(request),
    fingerprint: fingerprintOf({ type: 'revoke-links', by: request.actor.id }),
    decide: (state) => {
      if (!request.actor.admin) throw new AdminOnly();
      if (state.access.viewerLinks.size === 0) throw new NoViewerLinks();
      return { type: 'revoke-links', by: authorRefOf(request.actor) };
    },
  });
}
