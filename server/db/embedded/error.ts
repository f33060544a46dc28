/** Why the embedded database could not be built, placed or started, in words for the operator. */
export class EmbeddedDatabaseError extends Error {}
