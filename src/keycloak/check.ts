// Check mode: is the stored refresh token still alive, and for how long?
// Introspection asks without using the token up; a refresh proves it by use
// (and keeps an idle offline session alive). Pure apart from the injected transport.
import { formatDuration, formatInstant } from '../duration.js';
import { claimDate, claimsOf, readClaims } from '../jwt-claims.js';
import type { CheckInputs, CheckMethod } from './check-inputs.js';
import { realmUrl } from './endpoint.js';
import { refreshTokenGrant } from './grants/refresh-token.js';
import type { FailureKind } from './keycloak-error.js';
import { KeycloakError, isDeadToken } from './keycloak-error.js';
import type { KeycloakConnection, KeycloakDeps, KeycloakRequest } from './keycloak-request.js';
import { requestTokens, sendToKeycloak } from './keycloak-request.js';
import { withRetries } from './retry.js';
import type { TokenResult } from './token-result.js';

export interface CheckResult {
  method: CheckMethod;
  active: boolean;
  /** `Refresh` or `Offline`. */
  kind: string | undefined;
  client: string | undefined;
  issuedAt: Date | undefined;
  /** Undefined when the token carries no expiry (an offline token without a maximum lifetime). */
  expiresAt: Date | undefined;
  /** Why Keycloak refused the token, when a refresh said so. */
  inactiveReason: string | undefined;
  /** How, when a refresh said so. */
  inactiveKind: FailureKind | undefined;
  /** The new tokens when the check refreshed: they must be published, or a rotated token is lost. */
  refreshed: TokenResult | undefined;
}

export interface Verdict {
  valid: boolean;
  level: 'ok' | 'warning' | 'failure';
  /** The failure-kind output when the level is failure. */
  failureKind?: FailureKind;
  /** Seconds of validity left, when the token says. */
  remainingSeconds: number | undefined;
  message: string;
}

/** What to check, and how. */
export interface TokenCheck {
  method: CheckMethod;
  refreshToken: string;
  /** For check-method: refresh, which narrows the new tokens like a refresh does. */
  scope: string | undefined;
}

export async function checkToken(check: TokenCheck, connection: KeycloakConnection, deps: KeycloakDeps): Promise<CheckResult> {
  return check.method === 'introspect' ? introspect(check.refreshToken, connection, deps) : checkByRefresh(check, connection, deps);
}

async function introspect(refreshToken: string, connection: KeycloakConnection, deps: KeycloakDeps): Promise<CheckResult> {
  // Introspection uses nothing up, so any failure that may be passing is safe to retry.
  const { answer } = await withRetries({ ...connection, retryAfterSend: true }, deps, (timeoutMs) =>
    sendToKeycloak(introspectionRequest(refreshToken, connection), connection, deps.send, timeoutMs),
  );
  const introspection = parseIntrospection(answer.body);
  // Some servers answer only {"active": true}: the stored token's own claims fill the gaps.
  const claims = { ...readClaims(refreshToken), ...claimsOf(introspection) };
  return {
    method: 'introspect',
    active: introspection.active === true,
    kind: claims.typ,
    client: claims.azp,
    issuedAt: claimDate(claims.iat),
    expiresAt: claimDate(claims.exp),
    inactiveReason: undefined,
    inactiveKind: undefined,
    refreshed: undefined,
  };
}

async function checkByRefresh(check: TokenCheck, connection: KeycloakConnection, deps: KeycloakDeps): Promise<CheckResult> {
  try {
    const refreshed = await requestTokens(refreshTokenGrant(check.refreshToken, check.scope), connection, deps);
    const claims = readClaims(refreshed.refreshToken);
    return {
      method: 'refresh',
      active: true,
      kind: refreshed.refreshTokenKind,
      client: claims?.azp ?? connection.clientId,
      issuedAt: claimDate(claims?.iat),
      expiresAt: refreshed.refreshExpiresAt,
      inactiveReason: undefined,
      inactiveKind: undefined,
      refreshed,
    };
  } catch (error) {
    if (!(error instanceof KeycloakError) || !isDeadToken(error)) throw error;
    return {
      method: 'refresh',
      active: false,
      kind: undefined,
      client: undefined,
      issuedAt: undefined,
      expiresAt: undefined,
      inactiveReason: error.message,
      inactiveKind: error.kind,
      refreshed: undefined,
    };
  }
}

export function judge(result: CheckResult, thresholds: Pick<CheckInputs, 'minValiditySeconds' | 'warnValiditySeconds'>, now: Date): Verdict {
  if (!result.active) {
    const why = result.inactiveReason ?? 'Keycloak\'s introspection says it is not active (expired, revoked, or its session ended).';
    const failureKind = result.inactiveKind ?? 'refresh-token-inactive';
    return { valid: false, level: 'failure', failureKind, remainingSeconds: undefined, message: `The stored refresh token is dead. ${why}` };
  }
  if (result.expiresAt === undefined) {
    return {
      valid: true,
      level: 'ok',
      remainingSeconds: undefined,
      message: `The stored ${result.kind ?? 'refresh'} token is active. It carries no expiry: the server's offline session idle timeout (30 days by default) still applies${result.method === 'refresh' ? ', and this refresh has just reset it' : '; introspection does not reset it, check-method: refresh does'}.`,
    };
  }
  const remainingSeconds = Math.max(0, Math.floor((result.expiresAt.getTime() - now.getTime()) / 1000));
  const left = `expires in ${formatDuration(remainingSeconds)} (${formatInstant(result.expiresAt)})`;
  const token = result.method === 'refresh' ? `The new ${result.kind ?? 'refresh'} token` : `The stored ${result.kind ?? 'refresh'} token`;
  const { minValiditySeconds, warnValiditySeconds } = thresholds;
  if (minValiditySeconds !== undefined && remainingSeconds < minValiditySeconds) {
    return { valid: false, level: 'failure', failureKind: 'refresh-token-expiring', remainingSeconds, message: `${token} ${left}: less than min-validity (${formatDuration(minValiditySeconds)}). Log in again and update the secret.` };
  }
  if (warnValiditySeconds !== undefined && remainingSeconds < warnValiditySeconds) {
    return { valid: true, level: 'warning', remainingSeconds, message: `${token} ${left}: less than warn-validity (${formatDuration(warnValiditySeconds)}). Plan a new login soon.` };
  }
  return { valid: true, level: 'ok', remainingSeconds, message: `${token} is active and ${left}.` };
}

function parseIntrospection(body: string): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new KeycloakError('unexpected-answer', 'the introspection endpoint answered 200 with a body that is not JSON: check keycloak-url.', 200);
  }
  if (typeof json !== 'object' || json === null || typeof (json as { active?: unknown }).active !== 'boolean') {
    throw new KeycloakError('unexpected-answer', 'the introspection endpoint answered without "active": this is not a token introspection answer.', 200);
  }
  return json as Record<string, unknown>;
}

/**
 * Token introspection (RFC 7662) of the refresh token. Keycloak answers
 * {"active": false} for a refresh token unless the hint says what it is.
 */
function introspectionRequest(refreshToken: string, connection: KeycloakConnection): KeycloakRequest {
  return {
    url: `${realmUrl(connection.keycloakUrl, connection.realm)}/protocol/openid-connect/token/introspect`,
    form: new URLSearchParams({ token: refreshToken, token_type_hint: 'refresh_token' }),
    attempted: 'the introspection',
    presented: refreshToken,
  };
}
