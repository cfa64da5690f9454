// A valid access token, or S3 credentials, from the session: served from it
// while enough time is left, else refreshed (or re-assumed) under the lock, so
// that parallel callers cause one request and all get its result. With
// rotation the new refresh token is in the session before anything else can
// fail, and a marker in the session tells the next holder when a refresh did
// not get that far (killed, or its answer lost). While Keycloak or RGW's STS
// cannot be reached, what the session holds is handed out as long as it is
// valid (botocore's advisory refresh window); only then does the call fail.
import { join } from 'node:path';
import { describeFailure } from '../failure.js';
import { GitHubOidcError } from '../github/oidc-token.js';
import { RUNNER_OIDC_TIMEOUT_MS } from '../github/runner-oidc.js';
import type { FetchIdToken } from '../keycloak/client-auth/index.js';
import { clientAuthentication } from '../keycloak/client-auth/index.js';
import { KeycloakError, isDeadToken } from '../keycloak/keycloak-error.js';
import type { KeycloakDeps } from '../keycloak/keycloak-request.js';
import { handedOut, narrowToAudience } from '../keycloak/narrow.js';
import { obtainTokens } from '../keycloak/obtain-tokens.js';
import { stillValid } from '../keycloak/revoke.js';
import type { TokenResult } from '../keycloak/token-result.js';
import { assumeRole } from '../s3/assume-role.js';
import { StsError } from '../s3/sts-error.js';
import { JWKS_TIMEOUT_MS } from '../s3/web-identity-diagnosis.js';
import type { SendRequest } from '../transport.js';
import { TransportError } from '../transport.js';
import type { LockDeps } from './lock.js';
import { LockTimeout, processAlive, withLock } from './lock.js';
import type { Outage, PendingRefresh, Session, StoredCredentials } from './session.js';
import { readSession, writeSession } from './session.js';

export interface FreshDeps {
  keycloak: KeycloakDeps;
  /** For RGW's STS (and its JWKS diagnosis). */
  sendRequest: SendRequest;
  /** With client-auth: github-oidc: a new runner OIDC token per request. */
  fetchIdToken: FetchIdToken | undefined;
  lock: LockDeps;
  /** One line for the caller's stderr (a refresh that never stored its result, an outage served through); never holds a token. */
  warn: (line: string) => void;
}

/** botocore refreshes credentials with under 15 minutes left; short test sessions get a quarter of their life. */
const CREDENTIALS_MARGIN_MS = 15 * 60_000;
/** While Keycloak or STS is out, a token or key is handed out until this little is left of it. */
export const MIN_LEFT_MS = 2_000;
/** Less than this to wait for, and a held token is not worth handing out: the refresh gets all of timeout-seconds. */
const MIN_REFRESH_BUDGET_MS = 1_000;
/** Between a refresh giving up and the held token being handed out: the session read, the lock released. */
const HAND_OUT_MS = 1_000;
/** After an outage, callers hand out what is held for this long before one of them tries again (the refresher's pace). */
const OUTAGE_BACKOFF_MS = 5_000;
/** Starting Node, reading and writing the session, a busy runner. */
const HOLD_SLACK_MS = 10_000;

/** Refresh with a quarter of the token's life left, and at least 1 s, at most 60 s before it ends. */
export function accessMarginMs(session: Pick<Session, 'accessLifetimeMs'>): number {
  return Math.min(60_000, Math.max(1_000, (session.accessLifetimeMs ?? 300_000) / 4));
}

/**
 * The longest a lock holder of this session can take: the refresh, the token exchange
 * (audience) and the STS call (role), each within timeout-seconds (retries included), a
 * runner OIDC fetch per grant with github-oidc, and STS's JWKS diagnosis. A live holder's
 * lock is not broken before this has passed; the post step can wait for it as long.
 */
export function lockHoldLimitMs(session: Pick<Session, 'connection' | 'client' | 'audience' | 'role'>): number {
  const { timeoutMs } = session.connection;
  const grant = timeoutMs + (session.client.clientAuth === 'github-oidc' ? RUNNER_OIDC_TIMEOUT_MS : 0);
  const grants = session.audience === undefined ? 1 : 2;
  const sts = session.role === undefined ? 0 : timeoutMs + JWKS_TIMEOUT_MS;
  return grants * grant + sts + HOLD_SLACK_MS;
}

function accessTokenFresh(session: Session, now: number): boolean {
  return session.accessExpiresAt === undefined || session.accessExpiresAt - now > accessMarginMs(session);
}

function credentialsFresh(credentials: StoredCredentials | undefined, durationMs: number, now: number): credentials is StoredCredentials {
  return credentials !== undefined && credentials.expiresAt - now > Math.min(CREDENTIALS_MARGIN_MS, durationMs / 4);
}

/** The session with a valid access token; `cached` is the session as the caller last read it. */
export async function freshSession(stateDir: string, deps: FreshDeps, cached: Session = readSession(stateDir)): Promise<Session> {
  const now = deps.lock.now;
  if (accessTokenFresh(cached, now())) return cached;
  const held = (session: Session) => ({ value: session, expiresAt: session.accessExpiresAt ?? Number.POSITIVE_INFINITY });
  try {
    return await underLock(stateDir, cached, deps, async () => {
      const current = readSession(stateDir);
      if (accessTokenFresh(current, now())) return current;
      const served = servedDuringOutage(current, ['keycloak'], held(current), 'access token', deps);
      if (served !== undefined) return served;
      try {
        return await refreshed(stateDir, current, deps, held(current).expiresAt);
      } catch (error) {
        noteOutage(stateDir, error, deps);
        throw error;
      }
    });
  } catch (error) {
    return servedThrough(error, () => held(readSession(stateDir)), 'access token', deps);
  }
}

export async function freshCredentials(stateDir: string, deps: FreshDeps, cached: Session = readSession(stateDir)): Promise<StoredCredentials> {
  const role = cached.role;
  if (role === undefined) throw new Error('this session has no role: run the action with role-to-assume and keep-fresh');
  const durationMs = role.durationSeconds * 1000;
  const now = deps.lock.now;
  if (credentialsFresh(cached.credentials, durationMs, now())) return cached.credentials;
  const held = (session: Session) => (session.credentials === undefined ? undefined : { value: session.credentials, expiresAt: session.credentials.expiresAt });
  try {
    return await underLock(stateDir, cached, deps, async () => {
      const current = readSession(stateDir);
      if (credentialsFresh(current.credentials, durationMs, now())) return current.credentials;
      const served = servedDuringOutage(current, ['keycloak', 'sts'], held(current), 'S3 credentials', deps);
      if (served !== undefined) return served;
      try {
        // The refresh writes the session (the new refresh token) before the STS call: a refused role must not lose it.
        const session = accessTokenFresh(current, now()) ? current : await refreshed(stateDir, current, deps, held(current)?.expiresAt);
        const { keycloakUrl, timeoutMs } = session.connection;
        const assumed = await assumeRole(role, session.accessToken, { clientId: session.client.clientId, keycloakUrl, timeoutMs }, { send: deps.sendRequest, now });
        const credentials = {
          accessKeyId: assumed.accessKeyId,
          secretAccessKey: assumed.secretAccessKey,
          sessionToken: assumed.sessionToken,
          expiresAt: assumed.expiration?.getTime() ?? now() + durationMs,
        };
        writeSession(stateDir, { ...session, credentials, outage: undefined });
        return credentials;
      } catch (error) {
        noteOutage(stateDir, error, deps);
        throw error;
      }
    });
  } catch (error) {
    return servedThrough(error, () => held(readSession(stateDir)), 'S3 credentials', deps);
  }
}

function underLock<T>(stateDir: string, session: Session, deps: FreshDeps, work: () => Promise<T>): Promise<T> {
  return withLock(join(stateDir, 'lock'), lockHoldLimitMs(session), deps.lock, work);
}

/**
 * A new access token (narrowed with exchange-only), written to the session. The
 * marker goes in before the refresh token is sent; the new refresh token goes in,
 * and the marker out, before the token exchange, which may fail.
 */
async function refreshed(stateDir: string, session: Session, deps: FreshDeps, heldUntil = Number.POSITIVE_INFINITY): Promise<Session> {
  const now = deps.lock.now;
  const timeoutMs = refreshBudgetMs(session, heldUntil - now());
  const connection = { ...session.connection, timeoutMs, clientId: session.client.clientId, auth: clientAuthentication(session.client, deps.fetchIdToken) };
  const tokens = { refreshToken: session.refreshToken, fallback: 'none' as const, username: undefined, password: undefined, scope: session.scope };
  const prior = session.pendingRefresh;
  // Without rotation the refresh token outlives a lost answer: nothing to say.
  if (prior !== undefined && session.connection.rotation === 'on') deps.warn(`${pendingStory(prior, now())}; trying the stored refresh token.`);
  // A client_credentials grant ('' refresh token) uses up nothing.
  const marker: PendingRefresh | undefined = session.refreshToken === '' ? undefined : { pid: process.pid, since: now() };
  if (marker !== undefined) writeSession(stateDir, { ...session, pendingRefresh: marker });
  const requestedAt = now();
  let obtained: TokenResult;
  try {
    obtained = await obtainTokens(tokens, connection, deps.keycloak);
  } catch (error) {
    // Refused or never processed: the token is as it was (and an earlier doubt stays); a lost answer is a new doubt.
    if (marker !== undefined) writeSession(stateDir, { ...session, pendingRefresh: mayHaveRotated(error) ? { ...marker, unanswered: true } : prior });
    if (prior !== undefined && error instanceof KeycloakError && isDeadToken(error)) {
      throw new KeycloakError(error.kind, `Most likely cause: ${pendingStory(prior, now())}, after Keycloak had rotated the refresh token. ${error.message}`, error.status, error.retry, error.retryAfterMs);
    }
    throw error;
  }
  const withNewRefreshToken: Session = {
    ...session,
    pendingRefresh: undefined,
    outage: undefined,
    // A client_credentials grant returns no refresh token: keep the (empty) one.
    refreshToken: obtained.refreshToken || session.refreshToken,
    ...(session.audience === undefined ? accessFields(obtained, requestedAt) : {}),
    ...minted(session, obtained.accessToken, now()),
  };
  writeSession(stateDir, withNewRefreshToken);
  if (session.audience === undefined) return withNewRefreshToken;
  const narrowed = handedOut(obtained, await narrowToAudience(obtained.accessToken, session.audience, connection, deps.keycloak), session.audience);
  const result = { ...withNewRefreshToken, ...accessFields(narrowed, requestedAt), ...minted(withNewRefreshToken, narrowed.accessToken, now()) };
  writeSession(stateDir, result);
  return result;
}

/**
 * timeout-seconds, or, without rotation, only as long as what is held stays valid:
 * then a frozen Keycloak costs the caller no more than the held token's life, and
 * it is handed out in time. With rotation an answer cut short would burn the
 * refresh token, so the whole timeout-seconds is given.
 */
function refreshBudgetMs(session: Session, heldLeftMs: number): number {
  const { timeoutMs, rotation } = session.connection;
  // What is left once the refresh has given up, minus the time to write and print it.
  const budget = heldLeftMs - MIN_LEFT_MS - HAND_OUT_MS;
  // Nothing worth handing out: the refresh is all there is.
  if (rotation === 'on' || budget >= timeoutMs || budget < MIN_REFRESH_BUDGET_MS) return timeoutMs;
  return budget;
}

/** revoke-on-post: the new access token joins the ones for the post step; expired ones leave. */
function minted(session: Session, accessToken: string, now: number): Pick<Session, 'mintedAccessTokens'> {
  if (!session.revokeOnPost) return {};
  const kept = (session.mintedAccessTokens ?? []).filter((token) => token !== accessToken && stillValid(token, now));
  return { mintedAccessTokens: [...kept, accessToken] };
}

function accessFields(result: TokenResult, requestedAt: number): Pick<Session, 'accessToken' | 'accessExpiresAt' | 'accessLifetimeMs'> {
  return {
    accessToken: result.accessToken,
    accessExpiresAt: result.expiresIn === undefined ? undefined : requestedAt + result.expiresIn * 1000,
    accessLifetimeMs: result.expiresIn === undefined ? undefined : result.expiresIn * 1000,
  };
}

/** Whether a failed refresh may have reached Keycloak and rotated the token: an answer lost, or one that came but could not be used. */
function mayHaveRotated(error: unknown): boolean {
  if (error instanceof KeycloakError) return error.retry === 'maybe-processed' || (error.status !== undefined && error.status < 300);
  // The runner's OIDC token is fetched before anything is sent to Keycloak.
  return !(error instanceof TransportError || error instanceof GitHubOidcError);
}

function pendingStory(pending: PendingRefresh, now: number): string {
  const who = `the keycloak-token refresh of pid ${pending.pid} (${Math.max(0, Math.round((now - pending.since) / 1000))} s ago)`;
  if (pending.unanswered) return `${who} got no answer from Keycloak, so the new refresh token it may have issued was never stored`;
  if (pending.pid !== process.pid && processAlive(pending.pid)) return `${who} did not store its result within the time a refresh can take`;
  return `${who} was killed before it stored its result, so the new refresh token Keycloak may have issued died with it`;
}

/** Keycloak or STS could not be reached or answered that it failed: nothing was refused. A dead token is never one. */
function isOutage(error: unknown): boolean {
  if (error instanceof KeycloakError) return !isDeadToken(error) && (error.kind === 'network' || error.kind === 'timeout' || error.kind === 'server-unavailable');
  if (error instanceof StsError) return error.kind === 'sts-unreachable' || error.kind === 'sts-timeout';
  // The runner's OIDC endpoint not reached; a lock holder that never let go.
  return error instanceof TransportError || error instanceof LockTimeout;
}

function noteOutage(stateDir: string, error: unknown, deps: FreshDeps): void {
  if (!isOutage(error) || error instanceof LockTimeout) return;
  const outage: Outage = { service: error instanceof StsError ? 'sts' : 'keycloak', at: deps.lock.now(), reason: describeFailure(error).message };
  try {
    writeSession(stateDir, { ...readSession(stateDir), outage });
  } catch {
    // The session ended meanwhile: the caller's error says enough.
  }
}

interface Held<T> {
  value: T;
  /** Milliseconds since the epoch. */
  expiresAt: number;
}

/** Within a few seconds of an outage, what is held is handed out without trying again. */
function servedDuringOutage<T>(session: Session, services: Outage['service'][], held: Held<T> | undefined, what: string, deps: FreshDeps): T | undefined {
  const { outage } = session;
  const now = deps.lock.now();
  if (outage === undefined || !services.includes(outage.service) || now - outage.at >= OUTAGE_BACKOFF_MS) return undefined;
  if (held === undefined || held.expiresAt - now < MIN_LEFT_MS) return undefined;
  deps.warn(`${outage.reason} (${Math.round((now - outage.at) / 1000)} s ago; tried again in a few seconds) ${handingOut(what, held.expiresAt - now)}`);
  return held.value;
}

/** After a failed refresh: an outage is served through while what is held is valid; anything else, or nothing valid held, fails. */
function servedThrough<T>(error: unknown, read: () => Held<T> | undefined, what: string, deps: FreshDeps): T {
  if (!isOutage(error)) throw error;
  const held = read();
  const leftMs = held === undefined ? 0 : held.expiresAt - deps.lock.now();
  if (held === undefined || leftMs < MIN_LEFT_MS) throw withNote(error, `No valid ${what} is held to hand out meanwhile.`);
  deps.warn(`${describeFailure(error).message} ${handingOut(what, leftMs)}`);
  return held.value;
}

function handingOut(what: string, leftMs: number): string {
  return `Handing out the ${what} held, valid ${Math.floor(leftMs / 1000)} s more.`;
}

function withNote(error: unknown, note: string): unknown {
  if (error instanceof KeycloakError) return new KeycloakError(error.kind, `${error.message} ${note}`, error.status, error.retry, error.retryAfterMs);
  if (error instanceof StsError) return new StsError(error.kind, `${error.message} ${note}`);
  if (error instanceof LockTimeout) return new LockTimeout(`${error.message}. ${note}`);
  return error;
}
