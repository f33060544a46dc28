export interface UserRecord {
  _id: string;
  name: string;
  /** `scrypt$N$r$p$salt$hash`, base64url parts. */
  passwordHash: string;
  admin: boolean;
  createdAt: Date;
}

export interface TokenRecord {
  /** SHA-256 (hex) of the token: a fast hash is right for 256 random bits, and a slow KDF on
   *  every API call would hand attackers a denial-of-service lever. */
  _id: string;
  userId: string;
  name: string;
  createdAt: Date;
}

export interface SessionRecord {
  _id: string;
  data: string;
  expiresAt: Date;
}
