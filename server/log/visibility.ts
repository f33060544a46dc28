import { createHash, randomBytes } from 'node:crypto';
import type { ChangeRecord, Visibility } from './records.ts';

// Who may watch a stream. Its visibility and its viewer links are changes in its log, like its
// status and its authors, so every instance's projection learns them in order, and the live hub can
// let go of viewers whose admission no longer holds. Pure: no I/O, no HTTP.

export const VISIBILITIES: readonly Visibility[] = ['public', 'unlisted', 'private'];

/** Viewer links a stream holds at once: each is a hash in memory on every instance that serves it. */
export const MAX_VIEWER_LINKS = 100;

/** A viewer key as it travels in an address: 256 random bits, base64url. */
export const VIEWER_KEY_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** A stream's access as its log folds to: the visibility an admin set, and its live viewer links. */
export interface AccessState {
  /** Unset until the log changes it: the stream record's applies. */
  visibility?: Visibility;
  /** Hashes of the links that work, with when each was made. */
  readonly viewerLinks: Map<string, Date>;
}

/** What the rule needs of a stream. */
export interface StreamAccess {
  visibility: Visibility;
  /** Who belongs to the stream (its authors). */
  members: ReadonlyMap<string, unknown>;
  viewerLinks: ReadonlyMap<string, unknown>;
}

/** Who asks to watch: a signed-in user (or an API token's), a viewer link's hash, both or neither. */
export interface Visitor {
  user?: { id: string; admin: boolean };
  /** The hash of the viewer key they hold. */
  link?: string;
}

/**
 * The admission rule. Public and unlisted streams admit everyone (unlisted ones are only not
 * listed); a private one admits admins, its members, and holders of a link it has not revoked.
 */
export function admits(stream: StreamAccess, visitor: Visitor): boolean {
  if (stream.visibility !== 'private') return true;
  if (visitor.user && (visitor.user.admin || stream.members.has(visitor.user.id))) return true;
  return visitor.link !== undefined && stream.viewerLinks.has(visitor.link);
}

/** Whether a change is about access; true once folded in (it changes nothing readers see). */
export function foldAccess(access: AccessState, record: ChangeRecord): boolean {
  switch (record.type) {
    case 'visibility':
      access.visibility = record.visibility ?? 'public';
      return true;
    case 'viewer-link':
      if (record.link) access.viewerLinks.set(record.link, record.at);
      return true;
    case 'revoke-links':
      access.viewerLinks.clear();
      return true;
    default:
      return false;
  }
}

/** How a viewer key is kept and compared: like API tokens, a SHA-256 (the key is random, so no KDF). */
export function viewerKeyHash(key: string): string {
  return createHash('sha256').update(key).digest('base64url');
}

/** A new viewer key, shown once to whoever made it; only its hash is stored. */
export function newViewerKey(): { key: string; hash: string } {
  const key = randomBytes(32).toString('base64url');
  return { key, hash: viewerKeyHash(key) };
}

export function isVisibility(text: unknown): text is Visibility {
  return VISIBILITIES.includes(text as Visibility);
}
