// Reads claims from a Keycloak token without verifying it. Refresh tokens are
// HS512-signed with a key clients never see, so reading is all a client can do;
// the values are hints for messages and expiry outputs, never trusted for access.
// String claims are outside text: made safe here, where every claim comes in.
import { jwtDecode } from 'jwt-decode';
import { INVALID, fitsFormat, outsideText } from './outside-text.js';

export interface TokenClaims {
  exp?: number;
  iat?: number;
  /** Keycloak's token kind: `Refresh`, `Offline`, `Bearer`, `ID`; `(invalid)` when it is not a kind's name. */
  typ?: string;
  azp?: string;
  iss?: string;
  sid?: string;
  scope?: string;
  sub?: string;
  /** Always a list here, as JWT allows a string or an array. */
  aud?: string[];
}

/** The claims that are present with the expected type; undefined when the token is not a JWT. */
export function readClaims(token: string): TokenClaims | undefined {
  try {
    return claimsOf(jwtDecode<unknown>(token));
  } catch {
    return undefined;
  }
}

/** The well-typed claims of a decoded token or an introspection answer; the rest is dropped. */
export function claimsOf(payload: unknown): TokenClaims {
  const claims: TokenClaims = {};
  if (typeof payload !== 'object' || payload === null) return claims;
  const fields = payload as Record<string, unknown>;
  for (const key of ['exp', 'iat'] as const) {
    const value = fields[key];
    if (typeof value === 'number' && Number.isFinite(value)) claims[key] = value;
  }
  for (const key of ['azp', 'iss', 'sid', 'scope', 'sub'] as const) {
    const value = fields[key];
    if (typeof value === 'string' && value !== '') claims[key] = outsideText(value, 200);
  }
  if (typeof fields.typ === 'string' && fields.typ !== '') claims.typ = fitsFormat(fields.typ, 'typ') ? fields.typ : INVALID;
  const aud = typeof fields.aud === 'string' ? [fields.aud] : fields.aud;
  if (Array.isArray(aud) && aud.length > 0 && aud.every((a) => typeof a === 'string')) claims.aud = aud.slice(0, 20).map((a: string) => outsideText(a, 200));
  return claims;
}

/** An `exp` or `iat` claim as a date; undefined when absent or past what a Date can hold. */
export function claimDate(seconds: number | undefined): Date | undefined {
  if (seconds === undefined) return undefined;
  const date = new Date(seconds * 1000);
  return Number.isNaN(date.getTime()) ? undefined : date;
}
