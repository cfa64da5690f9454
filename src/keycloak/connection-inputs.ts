// Where Keycloak is and how patiently to talk to it: keycloak-url, realm,
// timeout-seconds, retries, retry-after-send and revoke-refresh-token.
import type { InputReader } from '../input-values.js';
import type { HttpPolicy } from '../input-values.js';
import { InputError, readBoolean, readHttpUrl, readWholeNumber, requiredSingleLine } from '../input-values.js';
import { withoutTrailingSlashes } from '../text.js';

export const ROTATIONS = ['off', 'on'] as const;
export type Rotation = (typeof ROTATIONS)[number];

export interface ConnectionInputs {
  /** Base URL without trailing slash, including a legacy `/auth` path when given. */
  keycloakUrl: string;
  realm: string;
  /** timeout-seconds: what one grant or introspection may take, retries included. */
  timeoutMs: number;
  /** Further attempts after the first, for failures retry.ts calls safe. */
  retries: number;
  retryAfterSend: boolean;
  /** Whether the realm revokes a refresh token once used (Keycloak's "Revoke Refresh Token"). */
  rotation: Rotation;
}

const TIMEOUT_SECONDS = { min: 1, max: 600, fallback: 15 };
const RETRIES = { min: 0, max: 10, fallback: 2 };

export function parseConnectionInputs(read: InputReader, http: HttpPolicy): ConnectionInputs {
  const keycloakUrl = parseKeycloakUrl(read('keycloak-url'), http);
  const realm = requiredSingleLine(read, 'realm');
  if (/[/\\]/.test(realm) || realm === '.' || realm === '..') {
    throw new InputError('realm', "must be a realm name, not a path (no '/', '\\', '.' or '..')");
  }
  const timeoutMs = parseTimeoutSeconds(read('timeout-seconds')) * 1000;
  const retries = readWholeNumber(read, 'retries', RETRIES, `must be a whole number from 0 to ${RETRIES.max}`);
  const retryAfterSend = readBoolean(read, 'retry-after-send', false);
  // revoke-refresh-token takes true/false like every other switch; inside, the Rotation 'on'|'off'.
  const rotation: Rotation = readBoolean(read, 'revoke-refresh-token', false) ? 'on' : 'off';
  if (rotation === 'on' && retryAfterSend) {
    throw new InputError('retry-after-send', "must stay 'false' with revoke-refresh-token: true: a resent refresh would present a used-up token, and Keycloak then revokes the whole chain");
  }
  return { keycloakUrl, realm, timeoutMs, retries, retryAfterSend, rotation };
}

function parseKeycloakUrl(raw: string, http: HttpPolicy): string {
  const name = 'keycloak-url';
  const value = raw.trim();
  if (value === '') throw new InputError(name, 'is required, e.g. https://sso.example.com');
  const url = readHttpUrl(value, name, 'https://sso.example.com', http, ': pass the secret as client-secret');
  if (url.pathname.includes('/realms/')) {
    throw new InputError(name, "must be the server's base URL, without /realms/...: give the realm as the 'realm' input");
  }
  return withoutTrailingSlashes(url.href);
}

function parseTimeoutSeconds(raw: string): number {
  const value = raw.trim();
  if (value === '') return TIMEOUT_SECONDS.fallback;
  const seconds = /^\d+(\.\d+)?$/.test(value) ? Number(value) : Number.NaN;
  if (!(seconds >= TIMEOUT_SECONDS.min && seconds <= TIMEOUT_SECONDS.max)) {
    throw new InputError('timeout-seconds', `must be a number of seconds from ${TIMEOUT_SECONDS.min} to ${TIMEOUT_SECONDS.max}`);
  }
  return seconds;
}
