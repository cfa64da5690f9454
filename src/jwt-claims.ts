// Reads claims from a Keycloak token without verifying it. Refresh tokens are
// HS512-signed with a key clients never see, so reading is all a client can do;
// the values are hints for messages and expiry outputs, never trusted for access.
import { jwtDecode } from 'jwt-decode';

export interface TokenClaims {
  exp?: number;
  iat?: number;
  /** Keycloak's token kind: `Refresh`, `Offline`, `Bearer`, `ID`. */
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
  for (const key of ['typ', 'azp', 'iss', 'sid', 'scope', 'sub'] as const) {
    const value = fields[key];
    if (typeof value === 'string' && value !== '') claims[key] = value;
  }
  const aud = typeof fields.aud === 'string' ? [fields.aud] : fields.aud;
  if (Array.isArray(aud) && aud.length > 0 && aud.every((a) => typeof a === 'string')) claims.aud = aud as string[];
  return claims;
}

/** An `exp` or `iat` claim as a date; undefined when absent or past what a Date can hold. */
export function claimDate(seconds: number | undefined): Date | undefined {
  if (seconds === undefined) return undefined;
  const date = new Date(seconds * 1000);
  return Number.isNaN(date.getTime()) ? undefined : date;
}
