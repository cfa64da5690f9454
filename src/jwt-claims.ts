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
}

/** The claims that are present with the expected type; undefined when the token is not a JWT. */
export function readClaims(token: string): TokenClaims | undefined {
  let payload: Record<string, unknown>;
  try {
    payload = jwtDecode<Record<string, unknown>>(token);
  } catch {
    return undefined;
  }
  if (typeof payload !== 'object' || payload === null) return undefined;
  const claims: TokenClaims = {};
  for (const key of ['exp', 'iat'] as const) {
    const value = payload[key];
    if (typeof value === 'number' && Number.isFinite(value)) claims[key] = value;
  }
  for (const key of ['typ', 'azp', 'iss', 'sid', 'scope'] as const) {
    const value = payload[key];
    if (typeof value === 'string') claims[key] = value;
  }
  return claims;
}
