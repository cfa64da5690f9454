// What the action publishes, as plain data: step outputs, env exports and the
// job summary rows. Pure; publish.ts hands these to the runner.
import type { CheckResult, Verdict } from './keycloak/check.js';
import { formatDuration, formatInstant } from './duration.js';
import { readClaims } from './jwt-claims.js';
import type { SecretUpdate } from './github/secret-inputs.js';
import type { ActionInputs } from './inputs.js';
import type { Rotation } from './keycloak/connection-inputs.js';
import type { S3Role } from './s3/role-inputs.js';
import type { TemporaryCredentials } from './s3/sts-response.js';
import type { TokenResult } from './keycloak/token-result.js';

export const ENV_NAMES = {
  accessToken: 'KEYCLOAK_ACCESS_TOKEN',
  refreshToken: 'KEYCLOAK_REFRESH_TOKEN',
  idToken: 'KEYCLOAK_ID_TOKEN',
} as const;

/** Every value that must be masked before anything else is printed. */
export function secretValues(result: TokenResult): string[] {
  return [result.accessToken, result.refreshToken, result.idToken].filter((v): v is string => v !== undefined && v !== '');
}

export function stepOutputs(result: TokenResult): Record<string, string> {
  return {
    'access-token': result.accessToken,
    'refresh-token': result.refreshToken,
    'id-token': result.idToken ?? '',
    'token-type': result.tokenType,
    scope: result.scope ?? '',
    'session-state': result.sessionState ?? '',
    'expires-in': numberOrEmpty(result.expiresIn),
    'expires-at': isoOrEmpty(result.expiresAt),
    'refresh-expires-in': numberOrEmpty(result.refreshExpiresIn),
    'refresh-expires-at': isoOrEmpty(result.refreshExpiresAt),
    'refresh-token-rotated': String(result.rotated),
    grant: result.grant,
  };
}

export function envExports(result: TokenResult): Record<string, string> {
  const env: Record<string, string> = { [ENV_NAMES.accessToken]: result.accessToken };
  // A client-credentials login returns no refresh token: nothing to export then.
  if (result.refreshToken !== '') env[ENV_NAMES.refreshToken] = result.refreshToken;
  if (result.idToken !== undefined) env[ENV_NAMES.idToken] = result.idToken;
  return env;
}

/** Rows for the job summary: never a token. */
export function summaryRows(inputs: ActionInputs, result: TokenResult): [string, string][] {
  return [
    ['Keycloak', inputs.connection.keycloakUrl],
    ['Realm', inputs.connection.realm],
    ['Client', inputs.client.clientId],
    ['Grant', result.grant === 'refresh_token' ? 'refresh_token' : `${result.grant} (fallback: the stored refresh token was not used)`],
    ['Token type', result.tokenType],
    ['Scope', result.scope ?? '(not returned)'],
    ['Access token expires', isoOrEmpty(result.expiresAt) || 'unknown'],
    ['Refresh token kind', result.refreshTokenKind ?? 'unknown'],
    ['Refresh token expires', isoOrEmpty(result.refreshExpiresAt) || 'unknown (no expiry in the token; server-side idle limits still apply)'],
    ['Refresh token rotated', result.rotated ? 'yes: a new refresh token was issued' : 'no'],
  ];
}

/** exchange-audience: the narrowed token (masked before) and its expiry. */
export function audienceOutputs(narrowed: TokenResult): Record<string, string> {
  return { 'exchanged-token': narrowed.accessToken, 'exchanged-token-expires-at': isoOrEmpty(narrowed.expiresAt) };
}

export function audienceSummaryRows(narrowed: TokenResult | undefined): [string, string][] {
  if (narrowed === undefined) return [];
  const audience = readClaims(narrowed.accessToken)?.aud?.join(' ') ?? 'unknown';
  return [['Audience token', `aud ${audience}, expires ${isoOrEmpty(narrowed.expiresAt) || 'unknown'}`]];
}

/** The S3 credentials' values that must be masked: configure-aws-credentials masks the key id too. */
export function credentialSecrets(credentials: TemporaryCredentials): string[] {
  return [credentials.accessKeyId, credentials.secretAccessKey, credentials.sessionToken];
}

export function credentialOutputs(credentials: TemporaryCredentials): Record<string, string> {
  return {
    'aws-access-key-id': credentials.accessKeyId,
    'aws-secret-access-key': credentials.secretAccessKey,
    'aws-session-token': credentials.sessionToken,
    'aws-expiration': isoOrEmpty(credentials.expiration),
  };
}

/**
 * What any S3 client of a later step needs with no STS knowledge (awscli of
 * any version, boto3, s3cmd, rclone): the three credentials, the endpoint, and
 * a region when the job has none (RGW accepts any).
 */
export function credentialEnv(credentials: TemporaryCredentials, role: S3Role, env: NodeJS.ProcessEnv, keepFresh = false): Record<string, string> {
  // With keep-fresh the AWS profile refreshes them: keys in the environment would shadow it and expire.
  const keys: Record<string, string> = keepFresh
    ? {}
    : { AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey, AWS_SESSION_TOKEN: credentials.sessionToken };
  const exports: Record<string, string> = { ...keys, AWS_ENDPOINT_URL: role.s3Endpoint };
  if (!env.AWS_REGION && !env.AWS_DEFAULT_REGION) {
    exports.AWS_REGION = DEFAULT_REGION;
    exports.AWS_DEFAULT_REGION = DEFAULT_REGION;
  }
  return exports;
}

export const DEFAULT_REGION = 'us-east-1';

export function credentialSummaryRows(role: S3Role, sessionName: string, credentials: TemporaryCredentials): [string, string][] {
  return [
    ['Role', role.roleArn],
    ['Session name', sessionName],
    ['STS endpoint', role.stsEndpoint],
    ['S3 endpoint', role.s3Endpoint],
    ['Subject', credentials.subject ?? 'unknown'],
    ['Credentials expire', isoOrEmpty(credentials.expiration) || 'unknown'],
  ];
}

/** The outputs of mode: check. */
export function checkOutputs(result: CheckResult, verdict: Verdict): Record<string, string> {
  return {
    valid: String(verdict.valid),
    active: String(result.active),
    'token-kind': result.kind ?? '',
    'refresh-expires-at': isoOrEmpty(result.expiresAt),
    'refresh-remaining-seconds': numberOrEmpty(verdict.remainingSeconds),
  };
}

/** The nightly check's table on the run page: never a token. */
export function checkSummaryRows(inputs: ActionInputs, result: CheckResult, verdict: Verdict): [string, string][] {
  const { minValiditySeconds, warnValiditySeconds } = inputs.check;
  const thresholds = [
    minValiditySeconds === undefined ? '' : `fail below ${formatDuration(minValiditySeconds)}`,
    warnValiditySeconds === undefined ? '' : `warn below ${formatDuration(warnValiditySeconds)}`,
  ].filter((t) => t !== '');
  return [
    ['Result', verdict.level === 'ok' ? 'valid' : verdict.level === 'warning' ? 'valid, expiring soon' : 'NOT valid'],
    ['Keycloak', inputs.connection.keycloakUrl],
    ['Realm', inputs.connection.realm],
    ['Client', result.client ?? inputs.client.clientId],
    ['Checked by', result.method === 'introspect' ? 'token introspection (the token is not used)' : 'a refresh (the token was used; its idle timer restarted)'],
    ['Active', result.active ? 'yes' : 'no'],
    ['Token kind', result.kind ?? 'unknown'],
    ['Issued', isoOrEmpty(result.issuedAt) || 'unknown'],
    ['Expires', isoOrEmpty(result.expiresAt) || (result.active ? 'no expiry in the token (server-side idle limit applies)' : 'unknown')],
    ['Remaining', verdict.remainingSeconds === undefined ? 'unknown' : formatDuration(verdict.remainingSeconds)],
    ['Thresholds', thresholds.join(', ') || 'none'],
  ];
}

/**
 * Keycloak returns a new refresh token on every refresh, rotation on or off,
 * so a new token alone is no reason to warn. The stored one is used up only
 * when the realm revokes used tokens (revoke-refresh-token: true), and then the user must
 * act unless update-secret stores the new one.
 */
export function rotationNotice(rotation: Rotation, updateSecret: SecretUpdate | undefined): { mustAct: boolean; message: string } {
  if (rotation === 'off') {
    return { mustAct: false, message: 'Keycloak issued a new refresh token, as it does on every refresh; with revoke-refresh-token: false the stored one keeps working.' };
  }
  if (updateSecret !== undefined) {
    return { mustAct: false, message: `Keycloak issued a new refresh token and used up the stored one (revoke-refresh-token: true); update-secret stores the new one in ${updateSecret.name}.` };
  }
  return {
    mustAct: true,
    message: 'The realm revokes used refresh tokens (revoke-refresh-token: true), so the stored refresh-token secret is now used up: store the refresh-token output before the next run, e.g. with update-secret.',
  };
}

function numberOrEmpty(value: number | undefined): string {
  return value === undefined ? '' : String(value);
}

function isoOrEmpty(date: Date | undefined): string {
  return date === undefined ? '' : formatInstant(date);
}
