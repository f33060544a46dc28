import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';

// New hashes: scrypt N=2^15, r=8, p=3, one of OWASP's equivalent settings. It costs about the
// same CPU as N=2^17, p=1 (what older hashes use) but 32 MiB instead of 128 MiB per check, so a
// burst of logins cannot take half a gigabyte. Stored hashes carry their own parameters, so older
// ones keep verifying at their own cost.
export const COST = { N: 2 ** 15, r: 8, p: 3 };
/**
 * The test suites hash and check hundreds of throwaway passwords: at the cost above that was
 * minutes of CPU. Their scripts (package.json) set LIVELOG_TEST_CHEAP_PASSWORDS=1, and new hashes
 * then cost next to nothing; a server never should. Checks use the cost stored in each hash, and
 * unknown names still cost COST, so the login-burst bounds are tested at the real price.
 */
const TEST_COST = { N: 2 ** 10, r: 8, p: 1 };
const KEY_LENGTH = 32;
/** Above what any setting we ever wrote needs: a tampered hash cannot make one check take gigabytes. */
const MAX_MEMORY = 256 * 1024 * 1024;

function scrypt(password: string, salt: Buffer, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCallback(password, salt, KEY_LENGTH, { ...opts, maxmem: MAX_MEMORY }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const cost = process.env.LIVELOG_TEST_CHEAP_PASSWORDS === '1' ? TEST_COST : COST;
  const key = await scrypt(password, salt, cost);
  return ['scrypt', cost.N, cost.r, cost.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [kind, n, r, p, salt, hash] = stored.split('$');
  if (kind !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const key = await scrypt(password, Buffer.from(salt, 'base64url'), { N: Number(n), r: Number(r), p: Number(p) });
  return key.length === expected.length && timingSafeEqual(key, expected);
}
