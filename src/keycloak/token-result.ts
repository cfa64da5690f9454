// Turns Keycloak's success body into what the action publishes. Pure.
import type { TokenClaims } from '../jwt-claims.js';
import { claimDate, readClaims } from '../jwt-claims.js';
import type { GrantType } from './grants/token-grant.js';
import { INVALID, fitsFormat } from '../outside-text.js';
import { KeycloakError } from './keycloak-error.js';

export interface TokenResult {
  /** The grant that produced these tokens. */
  grant: GrantType;
  accessToken: string;
  /** The new refresh token, or the one sent when the server returned none ('' when neither). */
  refreshToken: string;
  idToken: string | undefined;
  tokenType: string;
  scope: string | undefined;
  sessionState: string | undefined;
  expiresIn: number | undefined;
  expiresAt: Date | undefined;
  /** Undefined when unknown: Keycloak's refresh_expires_in 0 means "no exp claim", not "never". */
  refreshExpiresIn: number | undefined;
  refreshExpiresAt: Date | undefined;
  /** True when the server returned a refresh token different from the one sent. */
  rotated: boolean;
  /** `Refresh` or `Offline` (the refresh token's `typ` claim), when readable. */
  refreshTokenKind: string | undefined;
}

/**
 * @param body the 2xx response body
 * @param sentRefreshToken the refresh token the request carried ('' for a login)
 * @param requestedAt when the request was sent: expiry times count from then, erring early
 */
export function parseTokenResponse(body: string, sentRefreshToken: string, requestedAt: Date, grant: GrantType = 'refresh_token'): TokenResult {
  const json = parseJsonObject(body);
  const accessToken = nonEmptyString(json.access_token);
  if (accessToken === undefined) {
    throw new KeycloakError('unexpected-answer', 'Keycloak answered 200 without an access_token: this is not a token response.', 200, 'maybe-processed');
  }
  const newRefreshToken = nonEmptyString(json.refresh_token);
  const idToken = nonEmptyString(json.id_token);
  for (const [field, token] of [['access_token', accessToken], ['refresh_token', newRefreshToken], ['id_token', idToken]] as const) {
    if (token !== undefined && !fitsFormat(token, 'token')) {
      throw new KeycloakError('unexpected-answer', `Keycloak answered 200, but its ${field} is not a token (white space, control characters, a workflow command's marker, or over 256 kB).`, 200, 'maybe-processed');
    }
  }
  const refreshToken = newRefreshToken ?? sentRefreshToken;
  const expiresIn = positiveSeconds(json.expires_in);
  const claims = refreshToken === '' ? undefined : readClaims(refreshToken);
  const refreshExpiry = refreshTokenExpiry(claims, positiveSeconds(json.refresh_expires_in), requestedAt);
  return {
    grant,
    accessToken,
    refreshToken,
    idToken,
    tokenType: normaliseTokenType(nonEmptyString(json.token_type)),
    scope: validated(nonEmptyString(json.scope), 'scope'),
    sessionState: validated(nonEmptyString(json.session_state), 'sessionState'),
    expiresIn,
    expiresAt: expiresIn === undefined ? undefined : addSeconds(requestedAt, expiresIn),
    ...refreshExpiry,
    rotated: grant === 'refresh_token' && newRefreshToken !== undefined && newRefreshToken !== sentRefreshToken,
    refreshTokenKind: claims?.typ,
  };
}

function parseJsonObject(body: string): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new KeycloakError('unexpected-answer', 'Keycloak answered 200 but the body is not JSON (cut short, or a login page or proxy answering): check keycloak-url.', 200, 'maybe-processed');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new KeycloakError('unexpected-answer', 'Keycloak answered 200 but the body is not a JSON object.', 200, 'maybe-processed');
  }
  return json as Record<string, unknown>;
}

// refresh_expires_in wins when given; otherwise the token's own exp claim. With
// neither (an offline token without a max lifetime) the expiry is unknown.
function refreshTokenExpiry(
  claims: TokenClaims | undefined,
  refreshExpiresIn: number | undefined,
  requestedAt: Date,
): Pick<TokenResult, 'refreshExpiresIn' | 'refreshExpiresAt'> {
  if (refreshExpiresIn !== undefined) {
    return { refreshExpiresIn, refreshExpiresAt: addSeconds(requestedAt, refreshExpiresIn) };
  }
  const expiresAt = claimDate(claims?.exp);
  if (expiresAt === undefined) return { refreshExpiresIn: undefined, refreshExpiresAt: undefined };
  const remaining = Math.max(0, Math.floor((expiresAt.getTime() - requestedAt.getTime()) / 1000));
  return { refreshExpiresIn: remaining, refreshExpiresAt: expiresAt };
}

function normaliseTokenType(tokenType: string | undefined): string {
  if (tokenType === undefined || tokenType.toLowerCase() === 'bearer') return 'Bearer';
  return validated(tokenType, 'tokenType');
}

/** A field with a known format, or `(invalid)`: reported as such, never printed. */
function validated<T extends string | undefined>(value: T, format: 'scope' | 'sessionState' | 'tokenType'): T | typeof INVALID {
  return value === undefined || fitsFormat(value, format) ? value : INVALID;
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

// Lifetimes past this are nonsense (and past Date's range, a crash): treated as unknown.
const MAX_LIFETIME_SECONDS = 100 * 365 * 24 * 3600;

function positiveSeconds(value: unknown): number | undefined {
  const seconds = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  return typeof seconds === 'number' && seconds > 0 && seconds <= MAX_LIFETIME_SECONDS ? Math.floor(seconds) : undefined;
}

function addSeconds(date: Date, seconds: number): Date {
  return new Date(date.getTime() + seconds * 1000);
}
