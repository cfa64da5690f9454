// A valid access token, or S3 credentials, from the session: served from it
// while enough time is left, else refreshed (or re-assumed) under the lock, so
// that parallel callers cause one request and all get its result. With
// rotation the new refresh token is in the session before anyone returns.
import { join } from 'node:path';
import type { FetchIdToken } from '../keycloak/client-auth/index.js';
import { clientAuthentication } from '../keycloak/client-auth/index.js';
import type { KeycloakDeps } from '../keycloak/keycloak-request.js';
import { handedOut, narrowToAudience } from '../keycloak/narrow.js';
import { obtainTokens } from '../keycloak/obtain-tokens.js';
import { assumeRole } from '../s3/assume-role.js';
import type { SendRequest } from '../transport.js';
import type { LockDeps } from './lock.js';
import { withLock } from './lock.js';
import type { Session, StoredCredentials } from './session.js';
import { readSession, writeSession } from './session.js';

export interface FreshDeps {
  keycloak: KeycloakDeps;
  /** For RGW's STS (and its JWKS diagnosis). */
  sendRequest: SendRequest;
  /** With client-auth: github-oidc: a new runner OIDC token per request. */
  fetchIdToken: FetchIdToken | undefined;
  lock: LockDeps;
}

/** botocore refreshes credentials with under 15 minutes left; short test sessions get a quarter of their life. */
const CREDENTIALS_MARGIN_MS = 15 * 60_000;

/** Refresh with a quarter of the token's life left, and at least 1 s, at most 60 s before it ends. */
export function accessMarginMs(session: Pick<Session, 'accessLifetimeMs'>): number {
  return Math.min(60_000, Math.max(1_000, (session.accessLifetimeMs ?? 300_000) / 4));
}

function accessTokenFresh(session: Session, now: number): boolean {
  return session.accessExpiresAt === undefined || session.accessExpiresAt - now > accessMarginMs(session);
}

function credentialsFresh(credentials: StoredCredentials | undefined, durationMs: number, now: number): credentials is StoredCredentials {
  return credentials !== undefined && credentials.expiresAt - now > Math.min(CREDENTIALS_MARGIN_MS, durationMs / 4);
}

/** The session with a valid access token; `cached` is the session as the caller last read it. */
export async function freshSession(stateDir: string, deps: FreshDeps, cached: Session = readSession(stateDir)): Promise<Session> {
  if (accessTokenFresh(cached, deps.lock.now())) return cached;
  return underLock(stateDir, cached, deps, async () => {
    const session = await withFreshAccessToken(readSession(stateDir), deps);
    writeSession(stateDir, session);
    return session;
  });
}

export async function freshCredentials(stateDir: string, deps: FreshDeps, cached: Session = readSession(stateDir)): Promise<StoredCredentials> {
  const role = cached.role;
  if (role === undefined) throw new Error('this session has no role: run the action with role-arn and keep-fresh');
  const durationMs = role.durationSeconds * 1000;
  if (credentialsFresh(cached.credentials, durationMs, deps.lock.now())) return cached.credentials;
  return underLock(stateDir, cached, deps, async () => {
    const current = readSession(stateDir);
    if (credentialsFresh(current.credentials, durationMs, deps.lock.now())) return current.credentials;
    const session = await withFreshAccessToken(current, deps);
    // Before the STS call: with rotation a refused role must not lose the new refresh token.
    writeSession(stateDir, session);
    const { keycloakUrl, timeoutMs } = session.connection;
    const assumed = await assumeRole(role, session.accessToken, { clientId: session.client.clientId, keycloakUrl, timeoutMs }, { send: deps.sendRequest, now: deps.lock.now });
    const credentials = {
      accessKeyId: assumed.accessKeyId,
      secretAccessKey: assumed.secretAccessKey,
      sessionToken: assumed.sessionToken,
      expiresAt: assumed.expiration?.getTime() ?? deps.lock.now() + durationMs,
    };
    writeSession(stateDir, { ...session, credentials });
    return credentials;
  });
}

function underLock<T>(stateDir: string, session: Session, deps: FreshDeps, work: () => Promise<T>): Promise<T> {
  // Long enough for one refresh with its retries, and for an STS call after it.
  return withLock(join(stateDir, 'lock'), session.connection.timeoutMs * 2 + 5_000, deps.lock, work);
}

async function withFreshAccessToken(session: Session, deps: FreshDeps): Promise<Session> {
  if (accessTokenFresh(session, deps.lock.now())) return session;
  const connection = { ...session.connection, clientId: session.client.clientId, auth: clientAuthentication(session.client, deps.fetchIdToken) };
  const requestedAt = deps.lock.now();
  const tokens = { refreshToken: session.refreshToken, fallback: 'none' as const, username: undefined, password: undefined, scope: session.scope };
  const obtained = await obtainTokens(tokens, connection, deps.keycloak);
  const result = session.audience === undefined ? obtained : handedOut(obtained, await narrowToAudience(obtained.accessToken, session.audience, connection, deps.keycloak), session.audience);
  return {
    ...session,
    // A client_credentials grant returns no refresh token: keep the (empty) one.
    refreshToken: obtained.refreshToken || session.refreshToken,
    accessToken: result.accessToken,
    accessExpiresAt: result.expiresIn === undefined ? undefined : requestedAt + result.expiresIn * 1000,
    accessLifetimeMs: result.expiresIn === undefined ? undefined : result.expiresIn * 1000,
  };
}
