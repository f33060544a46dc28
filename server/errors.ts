import { format } from 'node:util';

// Every error Livelog raises on purpose, by code, with the message its reader sees (safe to show:
// it names what was wrong, never internals). Codes are what clients act on, so they never change.
// Which HTTP status each one answers with is the HTTP edge's business: server/http/plugins/errors.ts.
const MESSAGES = {
  // The log: streams, changes, posts.
  LIVELOG_STREAM_NOT_FOUND: 'No stream named "%s"',
  LIVELOG_STREAM_EXISTS: 'A stream named "%s" already exists',
  LIVELOG_INVALID_SLUG: 'A stream slug is 1 to 64 lower-case letters, digits and inner dashes, like "launch-2026"',
  LIVELOG_INVALID_TITLE: 'A title is 1 to 200 characters',
  LIVELOG_KEY_REUSED: 'This idempotency key was already used for a different request',
  LIVELOG_DATABASE_UNAVAILABLE: 'The database is not answering; nothing was lost, try again in a moment',
  LIVELOG_APPEND_CONTENTION: 'Too many simultaneous changes to this stream; try again',
  LIVELOG_TOO_MANY_OPEN_STREAMS: 'This server is serving as many streams as it can hold; try again shortly',
  LIVELOG_EMPTY_POST: 'A post needs some text',
  LIVELOG_POST_TOO_LONG: 'A post is at most %s characters',
  LIVELOG_INVALID_TEXT: 'Text cannot contain NUL characters',
  LIVELOG_INVALID_HEADLINE: 'A headline is one line of at most %s characters, without control characters',
  LIVELOG_POST_NOT_FOUND: 'No such post in this stream (it may have been deleted)',
  LIVELOG_STALE_POST: 'This post was changed since you opened it (now at version %s); reload it and make your change again',
  LIVELOG_NOT_YOUR_POST: 'Only the author of a post or an admin can change it',
  LIVELOG_STREAM_ENDED: 'This stream has ended; reopen it to post again',
  LIVELOG_STATUS_UNCHANGED: 'The stream is already %s',
  LIVELOG_NOT_AN_AUTHOR: 'You are not an author of this stream; an admin can add you',
  LIVELOG_ADMIN_ONLY: 'Only an admin can do this',
  LIVELOG_MEMBERSHIP_UNCHANGED: '"%s" is %s an author of this stream',
  // Contributors and their submissions.
  LIVELOG_CONTRIBUTORS_SUBMIT: 'Contributors submit posts for an editor to approve; they cannot publish or change posts themselves',
  LIVELOG_NOT_A_CONTRIBUTOR: 'You do not contribute to this stream; an admin can add you',
  LIVELOG_NOT_AN_EDITOR: 'Only an author of this stream or an admin can review submissions',
  LIVELOG_SUBMISSION_NOT_FOUND: 'No such submission in this stream',
  LIVELOG_ALREADY_REVIEWED: 'This submission was already %s',
  LIVELOG_TOO_MANY_PENDING: 'Too many submissions are waiting for review (at most %s %s); try again once editors have reviewed some',
  LIVELOG_INVALID_REASON: 'A reason is 1 to %s characters, without control characters',
  // Scheduled posts.
  LIVELOG_INVALID_PUBLISH_AT: 'publishAt is a date and time in the future, at most %s days ahead, like 2026-12-01T18:00:00Z',
  LIVELOG_TOO_MANY_SCHEDULED: 'This stream has %s posts scheduled already; publish or cancel some first',
  LIVELOG_SCHEDULED_NOT_FOUND: 'No such scheduled post in this stream (it may have been published or cancelled)',
  LIVELOG_NOT_DUE: 'This scheduled post is not due yet',
  LIVELOG_VISIBILITY_UNCHANGED: 'The stream is already %s',
  LIVELOG_TOO_MANY_VIEWER_LINKS: 'A stream has at most %s viewer links; revoke them and make new ones',
  LIVELOG_NO_VIEWER_LINKS: 'This stream has no viewer links to revoke',
  LIVELOG_INVALID_VISIBILITY: 'The visibility is public, unlisted or private',
  // Users, tokens, log-ins.
  LIVELOG_USER_EXISTS: 'A user named "%s" already exists',
  LIVELOG_USER_NOT_FOUND: 'No user named "%s"',
  LIVELOG_INVALID_USER_NAME: 'A user name is 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit',
  LIVELOG_WEAK_PASSWORD: '%s',
  LIVELOG_LAST_ADMIN: '"%s" is the last enabled admin: make another user an admin first, or nobody could run this site',
  LIVELOG_OWN_ACCOUNT: 'An admin cannot disable their own account; ask another admin',
  LIVELOG_TOKEN_NOT_FOUND: 'No token with id "%s"',
  LIVELOG_INVALID_TOKEN_ID: 'A token id is 8 to 64 hexadecimal characters',
  LIVELOG_PASSWORD_CHECKS_BUSY: 'Too many log-ins at once; try again in %s seconds',
  LIVELOG_RATE_LIMITED: 'Too many changes in a minute from this user; try again in %s',
  // Live viewers.
  LIVELOG_TOO_MANY_VIEWERS: 'This server has as many live viewers as it can take; try again shortly',
  LIVELOG_TOO_MANY_VIEWERS_FROM_ADDRESS: 'Too many live connections from your address; try again shortly',
  // Photos and uploads.
  LIVELOG_NOT_AN_IMAGE: 'That file is not a photo Livelog accepts (JPEG, PNG, WebP, GIF, AVIF or HEIF; no SVG)',
  LIVELOG_IMAGE_TOO_LARGE: 'A photo may have at most %s megapixels',
  LIVELOG_TOO_MANY_PHOTOS: 'A post has at most %s photos',
  LIVELOG_MEDIA_NOT_FOUND: 'No such photo',
  LIVELOG_NOT_A_FILE: 'photo must be a file upload (multipart/form-data)',
  LIVELOG_UPLOAD_TOO_LARGE: 'The photos of one post may add up to at most %s MB',
  LIVELOG_PHOTOS_NOT_ACCEPTED: 'Only publishing a post takes multipart/form-data (photos)',
  LIVELOG_UPLOADS_BUSY: 'The server is handling as many photo uploads as it can; try again in a moment',
  LIVELOG_BROKEN_MULTIPART: 'The multipart/form-data body is malformed',
  LIVELOG_PHOTO_NEEDS_DESCRIPTION: 'Describe each photo for people who cannot see it, or mark it as decorative',
} as const;

export type ErrorCode = keyof typeof MESSAGES;

type Argument = string | number;

/** An error Livelog raises on purpose: a code from the catalogue and its message. */
export class LivelogError extends Error {
  constructor(
    readonly code: ErrorCode,
    args: Argument[] = [],
    options?: ErrorOptions,
  ) {
    super(format(MESSAGES[code], ...args), options);
    this.name = 'LivelogError';
  }
}

/**
 * One class per code, so callers can `throw new StreamNotFound(slug)` and test `instanceof`;
 * a last argument `{cause}` keeps the error that led to this one (for the logs, never the client).
 */
function errorFor(code: ErrorCode) {
  return class extends LivelogError {
    constructor(...args: (Argument | ErrorOptions)[]) {
      const last = args.at(-1);
      const options = typeof last === 'object' ? (args.pop() as ErrorOptions) : undefined;
      super(code, args as Argument[], options);
    }
  };
}

export const StreamNotFound = errorFor('LIVELOG_STREAM_NOT_FOUND');
export const StreamExists = errorFor('LIVELOG_STREAM_EXISTS');
export const InvalidSlug = errorFor('LIVELOG_INVALID_SLUG');
export const InvalidTitle = errorFor('LIVELOG_INVALID_TITLE');
export const KeyReused = errorFor('LIVELOG_KEY_REUSED');
export const DatabaseUnavailable = errorFor('LIVELOG_DATABASE_UNAVAILABLE');
export const AppendContention = errorFor('LIVELOG_APPEND_CONTENTION');
export const TooManyOpenStreams = errorFor('LIVELOG_TOO_MANY_OPEN_STREAMS');
export const EmptyPost = errorFor('LIVELOG_EMPTY_POST');
export const PostTooLong = errorFor('LIVELOG_POST_TOO_LONG');
export const InvalidText = errorFor('LIVELOG_INVALID_TEXT');
export const InvalidHeadline = errorFor('LIVELOG_INVALID_HEADLINE');
export const PostNotFound = errorFor('LIVELOG_POST_NOT_FOUND');
export const StalePost = errorFor('LIVELOG_STALE_POST');
export const NotYourPost = errorFor('LIVELOG_NOT_YOUR_POST');
export const StreamEnded = errorFor('LIVELOG_STREAM_ENDED');
export const StatusUnchanged = errorFor('LIVELOG_STATUS_UNCHANGED');
export const NotAnAuthor = errorFor('LIVELOG_NOT_AN_AUTHOR');
export const AdminOnly = errorFor('LIVELOG_ADMIN_ONLY');
export const MembershipUnchanged = errorFor('LIVELOG_MEMBERSHIP_UNCHANGED');
export const ContributorsSubmit = errorFor('LIVELOG_CONTRIBUTORS_SUBMIT');
export const NotAContributor = errorFor('LIVELOG_NOT_A_CONTRIBUTOR');
export const NotAnEditor = errorFor('LIVELOG_NOT_AN_EDITOR');
export const SubmissionNotFound = errorFor('LIVELOG_SUBMISSION_NOT_FOUND');
export const AlreadyReviewed = errorFor('LIVELOG_ALREADY_REVIEWED');
export const TooManyPending = errorFor('LIVELOG_TOO_MANY_PENDING');
export const InvalidReason = errorFor('LIVELOG_INVALID_REASON');
export const InvalidPublishAt = errorFor('LIVELOG_INVALID_PUBLISH_AT');
export const TooManyScheduled = errorFor('LIVELOG_TOO_MANY_SCHEDULED');
export const ScheduledNotFound = errorFor('LIVELOG_SCHEDULED_NOT_FOUND');
export const NotDue = errorFor('LIVELOG_NOT_DUE');
export const VisibilityUnchanged = errorFor('LIVELOG_VISIBILITY_UNCHANGED');
export const TooManyViewerLinks = errorFor('LIVELOG_TOO_MANY_VIEWER_LINKS');
export const NoViewerLinks = errorFor('LIVELOG_NO_VIEWER_LINKS');
export const InvalidVisibility = errorFor('LIVELOG_INVALID_VISIBILITY');
export const UserExists = errorFor('LIVELOG_USER_EXISTS');
export const UserNotFound = errorFor('LIVELOG_USER_NOT_FOUND');
export const InvalidUserName = errorFor('LIVELOG_INVALID_USER_NAME');
export const WeakPassword = errorFor('LIVELOG_WEAK_PASSWORD');
export const LastAdmin = errorFor('LIVELOG_LAST_ADMIN');
export const OwnAccount = errorFor('LIVELOG_OWN_ACCOUNT');
export const TokenNotFound = errorFor('LIVELOG_TOKEN_NOT_FOUND');
export const InvalidTokenId = errorFor('LIVELOG_INVALID_TOKEN_ID');
export const PasswordChecksBusy = errorFor('LIVELOG_PASSWORD_CHECKS_BUSY');
export const RateLimited = errorFor('LIVELOG_RATE_LIMITED');
export const TooManyViewers = errorFor('LIVELOG_TOO_MANY_VIEWERS');
export const TooManyViewersFromAddress = errorFor('LIVELOG_TOO_MANY_VIEWERS_FROM_ADDRESS');
export const NotAnImage = errorFor('LIVELOG_NOT_AN_IMAGE');
export const ImageTooLarge = errorFor('LIVELOG_IMAGE_TOO_LARGE');
export const TooManyPhotos = errorFor('LIVELOG_TOO_MANY_PHOTOS');
export const MediaNotFound = errorFor('LIVELOG_MEDIA_NOT_FOUND');
export const NotAFile = errorFor('LIVELOG_NOT_A_FILE');
export const UploadTooLarge = errorFor('LIVELOG_UPLOAD_TOO_LARGE');
export const PhotosNotAccepted = errorFor('LIVELOG_PHOTOS_NOT_ACCEPTED');
export const UploadsBusy = errorFor('LIVELOG_UPLOADS_BUSY');
export const BrokenMultipart = errorFor('LIVELOG_BROKEN_MULTIPART');
export const PhotoNeedsDescription = errorFor('LIVELOG_PHOTO_NEEDS_DESCRIPTION');
