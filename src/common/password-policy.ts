import { createRequire } from 'node:module';

/**
 * What a new password must be, after NIST SP 800-63B (5.1.1.2): long enough (8 characters,
 * counted as Unicode code points, spaces and any character allowed), not absurdly long (256,
 * well past the 64 NIST asks to allow), no composition rules (no "one digit, one capital"),
 * and not one that attackers try first: a common or breached password, a run of one
 * character, a plain sequence, or the account's own name.
 *
 * The list of common passwords is the one zxcvbn-ts ships (`@zxcvbn-ts/language-common`,
 * MIT, 49,233 passwords from leaked-password corpora, ranked by frequency), installed with
 * the gateway and read offline; it is loaded on first use and kept as a Set (about 3 MB).
 */
export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 256;

let common: ReadonlySet<string> | null = null;

function commonPasswords(): ReadonlySet<string> {
  if (!common) {
    // The package's CommonJS build: its dictionaries decompress synchronously, once.
    const pkg = createRequire(import.meta.url)('@zxcvbn-ts/language-common') as { dictionary: { 'passwords-common': string[] } };
    common = new Set(pkg.dictionary['passwords-common'].map((p) => p.toLowerCase()));
  }
  return common;
}

/** Loads the list now rather than on the first registration (it takes a few tens of milliseconds). */
export function preloadPasswordList(): void {
  commonPasswords();
}

const codePoints = (s: string): number[] => Array.from(s, (c) => c.codePointAt(0)!);

/** `aaaaaaaa`, eight spaces, `ababab…`: one or two characters over and over. */
function isRepetitive(points: number[]): boolean {
  return new Set(points).size <= 2;
}

/** `12345678`, `abcdefgh`, `87654321`: each character one after (or before) the last. */
function isSequence(points: number[]): boolean {
  if (points.length < 3) return false;
  const step = points[1]! - points[0]!;
  if (step !== 1 && step !== -1) return false;
  return points.every((p, i) => i === 0 || p - points[i - 1]! === step);
}

/** Why `password` is refused, or null when it is acceptable. */
export function passwordProblem(password: string): string | null {
  const points = codePoints(password);
  if (points.length < PASSWORD_MIN_LENGTH) return `must be at least ${PASSWORD_MIN_LENGTH} characters`;
  if (points.length > PASSWORD_MAX_LENGTH) return `must be at most ${PASSWORD_MAX_LENGTH} characters`;
  if (isRepetitive(points)) return 'must not be one or two characters repeated; choose a longer phrase';
  if (isSequence(points)) return 'must not be a plain sequence such as 12345678 or abcdefgh';
  const lower = password.toLowerCase();
  const list = commonPasswords();
  if (list.has(lower) || list.has(lower.trim()) || list.has(lower.replace(/\s+/g, ''))) {
    return 'is too common: it is on a list of passwords that attackers try first; choose another (a few unrelated words make a good one)';
  }
  return null;
}

/** The message for a password that is the account's own name. */
export const SAME_AS_ACCOUNT = 'must not be your username or email address';

/** Whether `password` is one of the account's own words (its username, its email or the email's local part). */
export function passwordIsAccountName(password: string, words: readonly (string | null | undefined)[]): boolean {
  const squeezed = password.toLowerCase().replace(/\s+/g, '');
  return words.some((word) => {
    const w = word?.trim().toLowerCase();
    return !!w && w.length >= 3 && (squeezed === w || (w.includes('@') && squeezed === w.split('@')[0]));
  });
}
