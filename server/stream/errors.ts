import createError from '@fastify/error';

// Errors the stream log raises. Each carries a stable code and the HTTP status a route answers
// with; the message is safe to show to the author.
export const StreamNotFound = createError('LIVELOG_STREAM_NOT_FOUND', 'No stream named "%s"', 404);
export const KeyReused = createError(
  'LIVELOG_KEY_REUSED',
  'This idempotency key was already used for a different request',
  409,
);
export const DatabaseUnavailable = createError(
  'LIVELOG_DATABASE_UNAVAILABLE',
  'The database is not answering; nothing was lost, try again in a moment',
  503,
);
export const AppendContention = createError(
  'LIVELOG_APPEND_CONTENTION',
  'Too many simultaneous changes to this stream; try again',
  503,
);
