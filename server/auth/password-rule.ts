import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import { adjacencyGraphs, dictionary } from '@zxcvbn-ts/language-common';

const MIN_PASSWORD_LENGTH = 10;
/** zxcvbn's "safely unguessable" (about 10^8 guesses and more): enough behind a throttled login. */
const MIN_SCORE = 3;
/** zxcvbn's time grows fast with length (0.6 s for 256 characters) and it runs on the event loop;
 *  a password whose first 64 characters are strong is strong. */
const CHECKED_LENGTH = 64;

// Built on first use: loading the dictionaries takes about 100 ms, which the server should not
// spend before anyone sets a password.
let estimator: ZxcvbnFactory | undefined;

/**
 * Why a password is too weak to set, in words for the person choosing it, or null if it will do.
 * `related` are words an attacker would try first for this account (its name, the site's name).
 */
export function passwordProblem(password: string, related: string[] = []): string | null {
  if ([...password].length < MIN_PASSWORD_LENGTH) return `A password needs at least ${MIN_PASSWORD_LENGTH} characters.`;
  estimator ??= new ZxcvbnFactory({ dictionary, graphs: adjacencyGraphs, maxLength: CHECKED_LENGTH });
  const result = estimator.check(password, ['livelog', ...related]);
  if (result.score >= MIN_SCORE) return null;
  const why = WARNINGS[result.feedback.warning ?? ''] ?? 'it is too easy to guess';
  return `This password is too weak: ${why}. A few unrelated words together make a strong one.`;
}

// zxcvbn names its findings; these are the ones people meet, in plain words.
const WARNINGS: Record<string, string> = {
  topTen: 'it is one of the ten most used passwords',
  topHundred: 'it is one of the hundred most used passwords',
  common: 'it is a commonly used password',
  similarToCommon: 'it is very like a commonly used password',
  wordByItself: 'a single word is easy to guess',
  namesByThemselves: 'names on their own are easy to guess',
  commonNames: 'common names are easy to guess',
  userInputs: 'it contains the user name or the site name',
  straightRow: 'it is a row of keys on the keyboard',
  keyPattern: 'it is a short keyboard pattern',
  simpleRepeat: 'it repeats characters',
  extendedRepeat: 'it repeats a pattern',
  sequences: 'it is a sequence like "abc" or "123"',
  recentYears: 'it is or contains a recent year',
  dates: 'it is or contains a date',
  pwned: 'it has appeared in a data breach',
};
