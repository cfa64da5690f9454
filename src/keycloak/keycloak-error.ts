// Explains Keycloak's refusals (of a refresh, a login, an introspection) and
// answers it cannot use, in Keycloak's terms. Pure: it sees the HTTP answer
// (or the transport failure) and what was asked, and returns one line that says
// what went wrong and what to do. Only Keycloak's `error` and
// `error_description` are quoted, shortened; a raw body is never repeated.
import type { TokenClaims } from '../jwt-claims.js';
import { outsideText } from '../outside-text.js';
import type { HttpAnswer } from '../transport.js';
import { TransportError, isTlsErrorCode } from '../transport.js';
import type { Rotation } from './connection-inputs.js';

export const KEYCLOAK_FAILURE_KINDS = [
  'refresh-token-expired',
  'session-ended',
  'refresh-token-reused',
  'refresh-token-invalid',
  'refresh-token-inactive',
  'refresh-token-expiring',
  'refresh-token-wrong-client',
  'refresh-token-wrong-issuer',
  'user-disabled',
  'refresh-rejected',
  'request-rejected',
  'login-rejected',
  'client-secret-rejected',
  'exchange-not-enabled',
  'exchange-public-client',
  'exchange-unsupported',
  'audience-not-available',
  'audience-not-found',
  'scope-rejected',
  'oidc-assertion-rejected',
  'oidc-audience-rejected',
  'client-not-federated',
  'client-mismatch',
  'client-unknown',
  'realm-unknown',
  'endpoint-not-found',
  'server-unavailable',
  'unexpected-answer',
  'network',
  'timeout',
] as const;

export type FailureKind = (typeof KEYCLOAK_FAILURE_KINDS)[number];

/**
 * Whether the failed request can have changed anything on the server, which
 * decides whether a retry is safe when refresh tokens rotate:
 * - `not-processed`: it never reached Keycloak, or Keycloak said it did not act (503, 429);
 * - `maybe-processed`: Keycloak may have accepted the token and rotated it (lost answer);
 * - `final`: retrying cannot help (4xx, untrusted certificate, not Keycloak at all).
 */
export type RetryClass = 'not-processed' | 'maybe-processed' | 'final';

/** Failures that mean the stored refresh token is dead: only a new login helps. */
const DEAD_TOKEN: ReadonlySet<FailureKind> = new Set<FailureKind>([
  'refresh-token-expired',
  'session-ended',
  'refresh-token-reused',
  'refresh-token-invalid',
  'user-disabled',
  'refresh-rejected',
]);

export function isDeadToken(error: KeycloakError): boolean {
  return DEAD_TOKEN.has(error.kind) && error.status === 400;
}

export class KeycloakError extends Error {
  constructor(
    readonly kind: FailureKind,
    message: string,
    readonly status?: number,
    readonly retry: RetryClass = 'final',
    /** What a Retry-After header asked for, in milliseconds. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'KeycloakError';
  }
}

export interface KeycloakErrorContext {
  /** What Keycloak refused, for the message: 'the refresh', 'the introspection', a fallback login. */
  attempted: string;
  tokenUrl: string;
  realm: string;
  clientId: string;
  /** The claims of the client assertion sent with client-auth: github-oidc; undefined for any other client authentication. */
  assertion: TokenClaims | undefined;
  /** The `iss` claim of the refresh token that was sent, when readable. */
  tokenIssuer: string | undefined;
  /** The realm URL this action talked to, to compare with `tokenIssuer`. */
  realmUrl: string;
  /** The revoke-refresh-token input: whether the realm revokes used refresh tokens, which decides what an ambiguous answer means. */
  rotation: Rotation;
}

interface OAuthError {
  error: string;
  description: string;
}

const RELOGIN = 'Log in again (e.g. a password or device-code login with scope offline_access) and store the new refresh token in the secret.';
/** After reuse detection even the newest token of the chain fails (measured on 26.4.7 and 26.7.3). */
const RELOGIN_DEAD = `Every token of the chain is dead now, the newest included. ${RELOGIN}`;
/** The likely cause of a revoked rotating token, and the ways out, shortest first. */
const SHARED_ROTATING_TOKEN =
  "Likely cause: parallel jobs (a matrix, or workflows that run at once) shared one rotating token and another job refreshed it first; or an earlier run's new token was not stored. " +
  "Ways out, shortest first: set the realm's Refresh Token Max Reuse to at least the number of parallel jobs minus 1 (the cost: a stolen token also works that many more times); " +
  'run the jobs one after another (strategy.max-parallel: 1, or a concurrency: group for workflows); or use client-auth: github-oidc, which shares no token.';

export function classifyAnswer(answer: HttpAnswer, context: KeycloakErrorContext): KeycloakError {
  const { status } = answer;
  const oauth = readOAuthError(answer);
  const quoted = oauth === undefined ? `HTTP ${status}` : `${status} ${quote(oauth)}`;
  const fail = (kind: FailureKind, text: string): KeycloakError =>
    new KeycloakError(kind, `Keycloak refused ${context.attempted} (${quoted}): ${text}`, status);

  if (oauth?.error === 'invalid_grant') return classifyInvalidGrant(oauth.description, context, fail);
  const exchange = oauth === undefined ? undefined : classifyExchangeRefusal(oauth, context, fail);
  if (exchange !== undefined) return exchange;
  if (context.assertion !== undefined && oauth !== undefined && (status === 400 || status === 401)) {
    return classifyAssertionRefusal(oauth, context, fail);
  }
  if (/not allowed for direct access grants/i.test(oauth?.description ?? '')) {
    return fail('request-rejected', "the client does not allow the password grant: enable 'Direct access grants' on it, or use another fallback.");
  }
  if (/not enabled to retrieve service account/i.test(oauth?.description ?? '')) {
    return fail('request-rejected', "the client has no service account: enable 'Service accounts roles' on it, or use another fallback.");
  }
  // The token endpoint says unauthorized_client for a wrong secret; introspection says invalid_client.
  const secretRejected = oauth?.error === 'invalid_client' && /authentication failed/i.test(oauth.description);
  if ((oauth?.error === 'unauthorized_client' || secretRejected) && status === 401) {
    return fail('client-secret-rejected', `the client secret for client '${context.clientId}' is wrong or missing, or the client only allows the other client-auth method (post or basic). Check client-secret and client-auth; the refresh token itself was not judged.`);
  }
  if (oauth?.error === 'invalid_client') {
    return fail('client-unknown', `realm '${context.realm}' has no enabled client '${context.clientId}'. Check client-id (it is case-sensitive) and that the client is enabled.`);
  }
  if (status === 404 && oauth?.error === 'Realm does not exist') {
    return fail('realm-unknown', `realm '${context.realm}' does not exist on this server. Check realm (it is case-sensitive).`);
  }
  if (status === 404) return fail('endpoint-not-found', `no token endpoint at ${context.tokenUrl}. ${pathHint(context.tokenUrl)}`);
  if (status >= 300 && status < 400) {
    const target = answer.location ? ` to ${safeHost(answer.location, context.tokenUrl)}` : '';
    return new KeycloakError('unexpected-answer', `${context.tokenUrl} answered with a redirect (HTTP ${status}${target}). Redirects are not followed because they would carry the credentials elsewhere: set keycloak-url to the server's real base URL.`, status);
  }
  if (status >= 500 || status === 429) {
    const body = oauth === undefined ? ' with a non-JSON body (a proxy or load balancer?)' : '';
    // 503 and 429 say the request was not acted on; any other 5xx may come after Keycloak accepted the token.
    const retry = status === 503 || status === 429 ? 'not-processed' : 'maybe-processed';
    const text = `Keycloak at ${hostOf(context.tokenUrl)} answered HTTP ${status}${body}: the server or a proxy in front of it is failing. Try again later.`;
    return new KeycloakError('server-unavailable', text, status, retry, parseRetryAfter(answer.retryAfter));
  }
  if (oauth === undefined) {
    return new KeycloakError('unexpected-answer', `${context.tokenUrl} answered HTTP ${status} with a body that is not a Keycloak error (${describeContentType(answer.contentType)}). Check keycloak-url.`, status);
  }
  return fail('request-rejected', 'Keycloak did not accept this request: check the inputs named in its answer (scope, client settings).');
}

function classifyInvalidGrant(
  description: string,
  context: KeycloakErrorContext,
  fail: (kind: FailureKind, text: string) => KeycloakError,
): KeycloakError {
  const text = description.toLowerCase();
  if (text === 'token is not active') {
    return fail('refresh-token-expired', `the refresh token has expired (idle or maximum lifetime reached). ${RELOGIN}`);
  }
  if (text.includes('maximum allowed refresh token reuse exceeded')) {
    return fail('refresh-token-reused', `this refresh token was used before, and the realm revokes used refresh tokens (Revoke Refresh Token): presenting it again revoked its whole chain. ${SHARED_ROTATING_TOKEN} ${RELOGIN_DEAD}`);
  }
  // Both this and the next answer have a second cause that Keycloak words alike: only the
  // rotation input tells which is likely. "Stale token": a not-before push, or (with rotation)
  // an older generation of the chain. "Session doesn't have required client": the chain revoked
  // after a reuse, or the client's offline session idle timeout (both measured on 26.4.7 and 26.7.3).
  if (text === 'stale token') {
    if (context.rotation === 'on') {
      return fail('refresh-token-reused', `a newer refresh token of this chain was used since this one was issued, and presenting this one revoked the chain (or an admin pushed a not-before revocation). ${SHARED_ROTATING_TOKEN} ${RELOGIN_DEAD}`);
    }
    return fail('refresh-token-reused', `the token was revoked: an admin pushed a not-before revocation for the realm or client; or, if the realm revokes refresh tokens, a newer token of this chain was used (then set revoke-refresh-token: true; see docs/rotation-and-parallel-jobs.md). ${RELOGIN}`);
  }
  if (text.includes("session doesn't have required client")) {
    if (context.rotation === 'on') {
      return fail('refresh-token-reused', `the rotation chain of this refresh token was revoked: Keycloak does so when a used refresh token is presented again (less likely: the client's offline session idle timeout ran out, which it answers alike). ${SHARED_ROTATING_TOKEN} ${RELOGIN_DEAD}`);
    }
    return fail('session-ended', `the session behind the refresh token no longer holds this client: the client's offline session idle timeout ran out, or, if the realm revokes refresh tokens, a used one was presented again (then set revoke-refresh-token: true; parallel jobs sharing one token cause it: see docs/rotation-and-parallel-jobs.md). ${RELOGIN}`);
  }
  if (text.includes('session not active') || text.includes('session not found')) {
    return fail('session-ended', `the session behind the refresh token has ended (logout, admin sign-out, offline session idle timeout). ${RELOGIN}`);
  }
  if (text.includes("token client and authorized client don't match")) {
    return fail('refresh-token-wrong-client', `the refresh token was issued to another client (azp), not to '${context.clientId}'. Use the client-id the token was issued for.`);
  }
  if (text === 'user disabled') {
    return fail('user-disabled', 'the user the token belongs to is disabled in Keycloak. Ask an administrator to enable the user, or use another account.');
  }
  // The password grant's answers (fallback: password).
  if (text === 'account disabled') {
    return fail('user-disabled', 'the user is disabled in Keycloak. Ask an administrator to enable the user, or use another account.');
  }
  if (text === 'invalid user credentials') {
    return fail('login-rejected', 'the username or password is wrong. Check the username and password inputs.');
  }
  if (text.includes('not fully set up')) {
    return fail('login-rejected', 'the user has required actions pending (e.g. update password, verify e-mail): finish them in a browser once.');
  }
  if (text.includes('invalid token issuer') || (text === 'invalid refresh token' && issuerDiffers(context))) {
    return fail('refresh-token-wrong-issuer', `the token was issued by ${context.tokenIssuer ?? 'another URL'}, but this refresh went to ${context.realmUrl}. A refresh must use the same scheme, host, port and path as the login: set keycloak-url and realm to match the issuer.`);
  }
  if (text.startsWith('invalid refresh token')) {
    return fail('refresh-token-invalid', `the value is not a refresh token of realm '${context.realm}' (malformed, truncated, from another realm or server, or signed with a rotated realm key). Check the secret holds the whole refresh token. ${RELOGIN}`);
  }
  return fail('refresh-rejected', `the refresh token cannot be used. ${RELOGIN}`);
}

// Keycloak's federated client authentication tells its refusals apart only by
// error_description; "Invalid client or Invalid client credentials" covers a
// sub bound to no client, an unknown issuer and a bad signature alike.
function classifyAssertionRefusal(
  oauth: OAuthError,
  context: KeycloakErrorContext,
  fail: (kind: FailureKind, text: string) => KeycloakError,
): KeycloakError {
  const text = oauth.description.toLowerCase();
  const { sub, iss, aud } = context.assertion ?? {};
  const token = `the job's GitHub OIDC token (sub '${sub ?? 'unknown'}', issuer '${iss ?? 'unknown'}')`;
  if (text.includes('audience')) {
    return fail('oidc-audience-rejected', `Keycloak expects the OIDC token's audience to be the realm's issuer URL exactly as it names it, not '${aud?.join(', ') ?? 'none'}'. Set oidc-audience to the "issuer" of ${context.realmUrl}/.well-known/openid-configuration (it differs from keycloak-url behind a proxy or with --hostname).`);
  }
  if (text === 'token is not active' || text.includes('issued too far in the past')) {
    return fail('oidc-assertion-rejected', `${token} is not valid by Keycloak's clock: Keycloak takes an assertion only before its exp and within 300 s of its iat. Check the clock of Keycloak's host.`);
  }
  if (text.includes('reuse') || text.includes('jti')) {
    return fail('oidc-assertion-rejected', `Keycloak takes each GitHub OIDC token once (jti), and this one was refused as used: the action fetches a new one for every request, so something else is replaying it.`);
  }
  if (oauth.error === 'unauthorized_client') {
    return fail('client-not-federated', `Keycloak authenticated a client that is not set up for GitHub OIDC tokens: give client '${context.clientId}' the client authenticator "Signed JWT - Federated" (federated-jwt), and on Keycloak 26.4 and 26.5 start the server with --features=client-auth-federated.`);
  }
  return fail('oidc-assertion-rejected', `no client in realm '${context.realm}' accepts ${token}. Keycloak needs: an OpenID Connect identity provider whose issuer is exactly '${iss ?? 'the token issuer'}' with "Supports client assertions" on; a client with the client authenticator "Signed JWT - Federated" bound to that provider's alias and to exactly this sub (another branch, an environment or a pull request has another sub); and on Keycloak 26.4 and 26.5 the feature client-auth-federated.`);
}

function pathHint(tokenUrl: string): string {
  return new URL(tokenUrl).pathname.includes('/auth/realms/')
    ? "Keycloak 17+ serves /realms/... at the root unless started with --http-relative-path=/auth: try keycloak-url without '/auth'."
    : "Keycloak <= 16, or a server started with --http-relative-path=/auth, needs '/auth' at the end of keycloak-url.";
}

function issuerDiffers(context: KeycloakErrorContext): boolean {
  return context.tokenIssuer !== undefined && context.tokenIssuer !== context.realmUrl;
}

const NOT_CONNECTED = new Set(['ECONNREFUSED', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);

/**
 * @param budgetMs the timeout-seconds budget, when the attempt only had what was left of it:
 *   the message names the setting the user can change.
 */
export function classifyTransportError(error: TransportError, budgetMs: number = error.timeoutMs): KeycloakError {
  const where = hostOf(error.url);
  const seconds = budgetMs / 1000;
  const lost = 'It may have reached Keycloak, so it is retried only with retry-after-send: with refresh-token rotation a second attempt would burn the token.';
  switch (error.code) {
    case 'TIMEOUT':
      return new KeycloakError('timeout', `Keycloak at ${where} did not answer within ${seconds} s (timeout-seconds). ${lost}`, undefined, 'maybe-processed');
    case 'BODY_TOO_LARGE':
      return new KeycloakError('unexpected-answer', `the answer from ${where} is larger than 1 MiB: that is not Keycloak's token endpoint. Check keycloak-url.`);
    case 'ECONNREFUSED':
      return new KeycloakError('network', `could not connect to ${where}: connection refused (ECONNREFUSED). Check keycloak-url and that Keycloak is running.`, undefined, 'not-processed');
    case 'ENOTFOUND':
      return new KeycloakError('network', `could not resolve the host ${where} (ENOTFOUND). Check keycloak-url and the runner's DNS.`);
    case 'ECONNRESET':
    case 'EPIPE':
    case 'ECONNABORTED':
      return new KeycloakError('network', `the connection to ${where} was closed before Keycloak answered (${error.code}). ${lost}`, undefined, 'maybe-processed');
    default:
      if (isTlsErrorCode(error.code)) {
        return new KeycloakError('network', `the TLS certificate of ${where} is not trusted (${error.code}). For an internal or self-signed CA, give its PEM as ca-certificate (or in NODE_EXTRA_CA_CERTS).`);
      }
      if (NOT_CONNECTED.has(error.code)) {
        return new KeycloakError('network', `could not reach ${where} (${error.code}). Check keycloak-url and the network.`, undefined, 'not-processed');
      }
      return new KeycloakError('network', `the request to ${where} failed (${error.code}). ${lost}`, undefined, 'maybe-processed');
  }
}

/** Retry-After as seconds or an HTTP date (RFC 9110 10.2.3), in milliseconds from now. */
export function parseRetryAfter(value: string | undefined, now: Date = new Date()): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now.getTime());
}

function readOAuthError(answer: HttpAnswer): OAuthError | undefined {
  let json: unknown;
  try {
    json = JSON.parse(answer.body);
  } catch {
    return undefined;
  }
  if (typeof json !== 'object' || json === null) return undefined;
  const { error, error_description: description } = json as Record<string, unknown>;
  if (typeof error !== 'string' || error === '') return undefined;
  return { error: outsideText(error, 80), description: typeof description === 'string' ? outsideText(description) : '' };
}

// Standard token exchange (audience) and scope refusals, worded alike by 26.4.7 and 26.7.3.
function classifyExchangeRefusal(oauth: OAuthError, context: KeycloakErrorContext, fail: (kind: FailureKind, text: string) => KeycloakError): KeycloakError | undefined {
  const { description } = oauth;
  const client = context.clientId;
  if (/standard token exchange is not enabled/i.test(description)) {
    return fail('exchange-not-enabled', `client '${client}' may not exchange tokens: turn on 'Standard token exchange' in its Capability config (client attribute standard.token.exchange.enabled; Keycloak 26.2 or later).`);
  }
  const unavailable = /^requested audience not available: (.*)$/i.exec(description);
  if (unavailable) {
    const audience = unavailable[1] ?? '';
    return fail('audience-not-available', `client '${client}' may not ask for audience '${audience}': add an Audience mapper for '${audience}' to client '${client}' (or to one of its client scopes), or give the users a role of client '${audience}'. Keycloak builds the narrowed token from the client's settings, not from the aud of the token it exchanges.`);
  }
  if (oauth.error === 'invalid_client' && /^audience not found$/i.test(description)) {
    return fail('audience-not-found', `exchange-audience names a client that realm '${context.realm}' does not have: give client IDs (case-sensitive), separated by spaces or line breaks.`);
  }
  if (/public client is not allowed to exchange token/i.test(description)) {
    return fail('exchange-public-client', `Keycloak lets only confidential clients exchange tokens: turn on Client authentication for client '${client}' and give its secret as client-secret, or use client-auth: github-oidc.`);
  }
  if (oauth.error === 'invalid_scope') {
    const input = context.attempted.startsWith('the token exchange') ? 'exchange-scope' : 'scope';
    return fail('scope-rejected', `the scopes asked for are not default or optional client scopes of client '${client}': check ${input}.`);
  }
  if (oauth.error === 'unsupported_grant_type' && context.attempted.startsWith('the token exchange')) {
    return fail('exchange-unsupported', 'this server does not offer the token exchange grant: standard token exchange needs Keycloak 26.2 or later, where it is on by default.');
  }
  return undefined;
}

function quote(oauth: OAuthError): string {
  return oauth.description === '' ? oauth.error : `${oauth.error}: "${oauth.description}"`;
}

function describeContentType(contentType: string): string {
  const type = contentType.split(';')[0]?.trim();
  return type ? type : 'no content type';
}

function hostOf(url: string): string {
  return new URL(url).host;
}

function safeHost(location: string, base: string): string {
  try {
    const target = new URL(location, base);
    return outsideText(`${target.protocol}//${target.host}${target.pathname}`);
  } catch {
    return 'an invalid URL';
  }
}
