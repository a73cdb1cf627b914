// JSON Web Tokens signed with HMAC-SHA256 (RFC 7519, HS256), with node:crypto only. Signing is what vigil's
// clients need (practable's relay, jump and book take HS256 tokens); verification is what fake peers in tests
// and any HS256-protected endpoint need, and it checks exactly what golang-jwt v4 checks: signature, exp, nbf,
// iat not in the future (zero leeway) and an exact audience match.
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Registered claims plus whatever else the peer wants; times are NumericDate seconds. */
export interface JwtClaims {
  aud?: string | string[];
  sub?: string;
  iat?: number;
  nbf?: number;
  exp?: number;
  [claim: string]: unknown;
}

const HEADER = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));

function base64url(text: string | Buffer): string {
  return Buffer.from(text).toString('base64url');
}

function signature(signingInput: string, secret: string | Buffer): Buffer {
  return createHmac('sha256', secret).update(signingInput).digest();
}

/** Signs `claims` with HS256. The secret is used as raw bytes (a string is taken as UTF-8, as Go's []byte(secret)). */
export function signJwt(claims: JwtClaims, secret: string | Buffer): string {
  const signingInput = `${HEADER}.${base64url(JSON.stringify(claims))}`;
  return `${signingInput}.${signature(signingInput, secret).toString('base64url')}`;
}

/** Whole seconds of an epoch-millisecond time, as NumericDate claims carry them. */
export const numericDate = (ms: number): number => Math.floor(ms / 1000);

export interface VerifyOptions {
  /** One of the token's `aud` entries must equal this exactly. Omit to skip the audience check. */
  audience?: string;
  /** Epoch milliseconds; defaults to Date.now(). */
  now?: number;
  /** Require `exp` (golang-jwt only checks it when present; practable's services require it). */
  requireExp?: boolean;
}

export type VerifyResult = { ok: true; claims: JwtClaims } | { ok: false; reason: string };

/** Verifies an HS256 token. Never throws; the reason is short and never contains the token or the secret. */
export function verifyJwt(token: string, secret: string | Buffer, options: VerifyOptions = {}): VerifyResult {
  const parts = token.split('.');
  if (parts.length !== 3) return { ok: false, reason: 'token contains an invalid number of segments' };
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  let header: unknown;
  let claims: unknown;
  try {
    header = JSON.parse(Buffer.from(headerPart, 'base64url').toString('utf8'));
    claims = JSON.parse(Buffer.from(payloadPart, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'token is malformed' };
  }
  if (!isObject(header) || typeof header['alg'] !== 'string' || !/^HS(256|384|512)$/.test(header['alg'])) {
    return { ok: false, reason: 'unexpected signing method' };
  }
  const algorithm = `sha${header['alg'].slice(2)}`;
  const expected = createHmac(algorithm, secret).update(`${headerPart}.${payloadPart}`).digest();
  const presented = Buffer.from(signaturePart, 'base64url');
  if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
    return { ok: false, reason: 'signature is invalid' };
  }
  if (!isObject(claims)) return { ok: false, reason: 'claims are not an object' };
  const now = numericDate(options.now ?? Date.now());
  const time = (name: string): number | undefined | null => {
    const value = claims[name];
    if (value === undefined) return undefined;
    return typeof value === 'number' && Number.isFinite(value) ? value : null;
  };
  const exp = time('exp');
  const nbf = time('nbf');
  const iat = time('iat');
  if (exp === null || nbf === null || iat === null) return { ok: false, reason: 'a time claim is not a number' };
  if (exp === undefined && options.requireExp) return { ok: false, reason: 'token has no exp' };
  if (exp !== undefined && now >= exp) return { ok: false, reason: 'token is expired' };
  if (nbf !== undefined && now < nbf) return { ok: false, reason: 'token is not valid yet' };
  if (iat !== undefined && now < iat) return { ok: false, reason: 'token used before issued' };
  if (options.audience !== undefined) {
    const aud = claims['aud'];
    const audiences = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
    if (!audiences.includes(options.audience)) return { ok: false, reason: 'token has invalid audience' };
  }
  return { ok: true, claims: claims as JwtClaims };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
