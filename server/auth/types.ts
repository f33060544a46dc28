export interface UserRecord {
  _id: string;
  name: string;
  /** `scrypt$N$r$p$salt$hash`, base64url parts. */
  passwordHash: string;
  admin: boolean;
  /** Submits posts for an author or admin of the stream to approve, instead of publishing them. */
  contributor?: boolean;
  createdAt: Date;
  /** A disabled user cannot log in, and their sessions and API tokens stop working. */
  disabled?: boolean;
  /** Raised when the password changes or the user is disabled; a session made under an older
   *  value is over (absent: 0, as for users and sessions from before it existed). */
  sessionEpoch?: number;
}

export interface TokenRecord {
  /** SHA-256 (hex) of the token: a fast hash is right for 256 random bits, and a slow KDF on
   *  every API call would hand attackers a denial-of-service lever. */
  _id: string;
  userId: string;
  /** What the token is for, as its creator labelled it ("scoreboard", "sensor 3"). */
  name: string;
  /** The one stream it may write to; absent: every stream its user may write to. */
  stream?: string;
  createdAt: Date;
  /** Updated at most once a minute. */
  lastUsedAt?: Date;
}

export interface SessionRecord {
  _id: string;
  data: string;
  expiresAt: Date;
}
