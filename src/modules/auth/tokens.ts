import { createHash, randomBytes, type webcrypto } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { systemClock, type Clock } from '../../common/clock.js';
import { AppError } from '../../common/errors.js';

const ALGORITHM = 'HS256';
/** RFC 9068 media type for JWT access tokens; a refresh or ID token cannot pass for one. */
const ACCESS_TYPE = 'at+jwt';
/** How far ahead of this server's clock an `iat` may be (another gateway process's clock). */
export const MAX_CLOCK_SKEW_SECONDS = 60;

export interface AccessClaims {
  userId: string;
  sessionId: string;
}

/** What a verified token says, with its expiry. */
export interface VerifiedClaims extends AccessClaims {
  expiresAt: Date;
}

/** How many verified tokens are remembered (a few hundred bytes each). */
const VERIFIED_CACHE_SIZE = 10_000;

/**
 * Signs and verifies access tokens: algorithm, expiry, issuer, audience and type are all checked.
 *
 * A token that verified is remembered (by its exact text, until its expiry, the last
 * VERIFIED_CACHE_SIZE of them): the next request carrying it skips the signature and claim
 * checks, which cannot answer otherwise for the same text, and its expiry is checked again
 * against the clock, with the same error. Only successes are remembered. Revocation is not a
 * property of the token and is checked on every request (AuthService.authenticate).
 */
export class AccessTokens {
  /**
   * The HMAC key, imported into WebCrypto once: given as bytes, jose imports it again for every
   * token it signs or verifies (an import is as costly as the signature itself).
   */
  private readonly key: Promise<webcrypto.CryptoKey>;
  private readonly verified = new Map<string, VerifiedClaims>();

  constructor(
    secret: string,
    private readonly issuer: string,
    private readonly audience: string,
    readonly ttlSeconds: number,
    /** Issues and checks `iat`/`exp` by this clock (tests move a ManualClock past an expiry). */
    private readonly clock: Clock = systemClock,
  ) {
    this.key = crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
  }

  async sign(claims: AccessClaims): Promise<string> {
    const now = Math.floor(this.clock.now() / 1000);
    const key = await this.key;
    return new SignJWT({ sid: claims.sessionId })
      .setProtectedHeader({ alg: ALGORITHM, typ: ACCESS_TYPE })
      .setSubject(claims.userId)
      .setIssuer(this.issuer)
      .setAudience(this.audience)
      .setIssuedAt(now)
      .setJti(randomBytes(12).toString('base64url'))
      .setExpirationTime(now + this.ttlSeconds)
      .sign(key);
  }

  async verify(token: string): Promise<VerifiedClaims> {
    const known = this.verified.get(token);
    if (known) {
      // jose's rule: expired when exp <= now (seconds).
      if (known.expiresAt.getTime() <= Math.floor(this.clock.now() / 1000) * 1000) {
        this.verified.delete(token);
        throw new AppError('invalid_token', 'Access token has expired');
      }
      return known;
    }
    const claims = await this.verifyFully(token);
    if (this.verified.size >= VERIFIED_CACHE_SIZE) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(token, claims);
    return claims;
  }

  private async verifyFully(token: string): Promise<VerifiedClaims> {
    try {
      const { payload } = await jwtVerify(token, await this.key, {
        algorithms: [ALGORITHM],
        issuer: this.issuer,
        audience: this.audience,
        typ: ACCESS_TYPE,
        requiredClaims: ['sub', 'exp', 'iat'],
        currentDate: new Date(this.clock.now()),
      });
      if (typeof payload.sub !== 'string' || typeof payload.sid !== 'string') {
        throw new AppError('invalid_token', 'Access token is missing its subject or session');
      }
      // jose checks iat only against a maximum age; a token "issued" in the future was not issued
      // by this clock (a forged or mis-signed one would otherwise outlive its stated lifetime).
      if (typeof payload.iat !== 'number' || payload.iat > Math.floor(this.clock.now() / 1000) + MAX_CLOCK_SKEW_SECONDS) {
        throw new AppError('invalid_token', 'Access token claim "iat" is in the future');
      }
      return { userId: payload.sub, sessionId: payload.sid, expiresAt: new Date(payload.exp! * 1000) };
    } catch (e) {
      if (e instanceof AppError) throw e;
      throw new AppError('invalid_token', describeJoseError(e));
    }
  }
}

function describeJoseError(e: unknown): string {
  if (e instanceof joseErrors.JWTExpired) return 'Access token has expired';
  if (e instanceof joseErrors.JOSEAlgNotAllowed) return 'Access token uses an algorithm that is not accepted';
  if (e instanceof joseErrors.JWSSignatureVerificationFailed) return 'Access token signature is not valid';
  if (e instanceof joseErrors.JWTClaimValidationFailed) return `Access token claim "${e.claim}" is not valid`;
  return 'Access token is malformed';
}

/** A new opaque refresh token value: 256 bits from the CSPRNG. */
export const newRefreshToken = (): string => randomBytes(32).toString('base64url');

/** What is stored instead of the value. The value has 256 bits of entropy, so no salt or KDF is needed. */
export const hashToken = (value: string): string => createHash('sha256').update(value).digest('hex');
