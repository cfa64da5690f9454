// RFC 7009 token revocation at Keycloak's revoke endpoint, for the post step:
// every access token the job handed out, then (only for a fallback login that
// nobody stores) the refresh token, which ends that whole session. Never any
// other refresh token: revoking one ends its whole (offline) session, the
// stored secret's included (measured on 26.4.7 and 26.7.3).
// One attempt per token within one budget for all of them; the first failure
// ends the round (the rest would fail alike) and is reported, never thrown.
import { GitHubOidcError } from '../github/oidc-token.js';
import { readClaims } from '../jwt-claims.js';
import { outsideText } from '../outside-text.js';
import type { SendForm } from '../transport.js';
import { TransportError, isSuccess } from '../transport.js';
import type { ClientAuthentication } from './client-auth/index.js';
import { realmUrl } from './endpoint.js';

export function revokeEndpoint(keycloakUrl: string, realm: string): string {
  return `${realmUrl(keycloakUrl, realm)}/protocol/openid-connect/revoke`;
}

/** What the post step revokes. */
export interface Revocation {
  accessTokens: string[];
  /** The refresh token of a session the job created and does not keep (fallback: password without update-secret). */
  logout: string | undefined;
}

export const REVOCATION_PROBLEMS = ['revocation-refused', 'revocation-not-supported', 'server-unavailable', 'unexpected-answer', 'network', 'timeout', 'github-oidc-unavailable'] as const;
export type RevocationProblemKind = (typeof REVOCATION_PROBLEMS)[number];

export interface RevocationOutcome {
  revoked: number;
  /** Access tokens that had expired already: nothing to revoke. */
  expired: number;
  loggedOut: boolean;
  /** Why the round stopped early: one line, never a token. */
  problem: { kind: RevocationProblemKind; message: string; left: number; logoutLeft: boolean } | undefined;
}

export interface RevokeConnection {
  keycloakUrl: string;
  realm: string;
  clientId: string;
  auth: ClientAuthentication;
  /** timeout-seconds: the most one request may take. */
  timeoutMs: number;
}

export interface RevokeDeps {
  send: SendForm;
  now: () => number;
  /** All requests together end by then (milliseconds since the epoch). */
  deadline: number;
}

/** A request needs at least this much of the budget to be worth starting. */
const MIN_REQUEST_MS = 250;
/** Of a token kept for the post step: the post step revokes only what is still valid. */
export function stillValid(token: string, now: number): boolean {
  const exp = readClaims(token)?.exp;
  return exp === undefined || exp * 1000 > now;
}

export async function revokeAll(revocation: Revocation, connection: RevokeConnection, deps: RevokeDeps): Promise<RevocationOutcome> {
  const tokens = [...new Set(revocation.accessTokens)];
  const valid = tokens.filter((token) => stillValid(token, deps.now()));
  const outcome: RevocationOutcome = { revoked: 0, expired: tokens.length - valid.length, loggedOut: false, problem: undefined };
  const queue: [string, 'access_token' | 'refresh_token'][] = [...valid.map((token): [string, 'access_token'] => [token, 'access_token'])];
  if (revocation.logout) queue.push([revocation.logout, 'refresh_token']);
  for (let i = 0; i < queue.length; i++) {
    const [token, hint] = queue[i] as [string, 'access_token' | 'refresh_token'];
    try {
      await revokeOne(token, hint, connection, deps);
    } catch (error) {
      const left = queue.slice(i);
      const logoutLeft = left.some(([, kind]) => kind === 'refresh_token');
      outcome.problem = { ...describeProblem(error, connection, deps), left: left.length - (logoutLeft ? 1 : 0), logoutLeft };
      return outcome;
    }
    if (hint === 'access_token') outcome.revoked++;
    else outcome.loggedOut = true;
  }
  return outcome;
}

class RevocationProblem extends Error {
  constructor(
    readonly kind: RevocationProblemKind,
    message: string,
  ) {
    super(message);
  }
}

async function revokeOne(token: string, hint: 'access_token' | 'refresh_token', connection: RevokeConnection, deps: RevokeDeps): Promise<void> {
  const leftMs = deps.deadline - deps.now();
  if (leftMs < MIN_REQUEST_MS) throw new RevocationProblem('timeout', 'the post step\'s revocation budget ran out');
  const url = revokeEndpoint(connection.keycloakUrl, connection.realm);
  const form = new URLSearchParams({ token, token_type_hint: hint });
  const headers: Record<string, string> = { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' };
  await connection.auth.authenticate({ form, headers });
  const timeoutMs = Math.max(1, Math.min(connection.timeoutMs, deps.deadline - deps.now()));
  const answer = await deps.send({ url, headers, body: form.toString() }, timeoutMs);
  // RFC 7009: 200 also for a token that is invalid or expired (Keycloak then names invalid_token).
  if (isSuccess(answer)) return;
  throw answerProblem(answer.status, answer.body, url);
}

function answerProblem(status: number, body: string, url: string): RevocationProblem {
  const oauth = readOAuthError(body);
  const quoted = oauth === undefined ? `HTTP ${status}` : `${status} ${oauth}`;
  const host = new URL(url).host;
  if (status === 404 || status === 405 || status === 501) {
    return new RevocationProblem('revocation-not-supported', `Keycloak at ${host} has no revocation endpoint (${quoted} at ${new URL(url).pathname}): a server or proxy without RFC 7009 token revocation, or keycloak-url points elsewhere.`);
  }
  if (status === 429 || status >= 500) return new RevocationProblem('server-unavailable', `Keycloak at ${host} answered ${quoted}: the server or a proxy in front of it is failing.`);
  if (status >= 400 && status < 500 && oauth !== undefined) {
    return new RevocationProblem('revocation-refused', `Keycloak refused the revocation (${quoted}): the client may not revoke its tokens here (its credentials changed during the job, it was disabled, or a policy or proxy forbids it).`);
  }
  return new RevocationProblem('unexpected-answer', `${url} answered the revocation with ${quoted}, not a Keycloak answer: check keycloak-url.`);
}

function describeProblem(error: unknown, connection: RevokeConnection, deps: RevokeDeps): { kind: RevocationProblemKind; message: string } {
  if (error instanceof RevocationProblem) return { kind: error.kind, message: error.message };
  const host = new URL(connection.keycloakUrl).host;
  if (error instanceof TransportError) {
    if (error.code === 'TIMEOUT') {
      const seconds = Math.max(1, Math.round(error.timeoutMs / 1000));
      return { kind: 'timeout', message: `Keycloak at ${host} did not answer the revocation within ${seconds} s${deps.deadline - deps.now() < MIN_REQUEST_MS ? " (the post step's revocation budget)" : ''}.` };
    }
    return { kind: 'network', message: `could not reach Keycloak at ${host} to revoke (${outsideText(error.code, 40)}).` };
  }
  // The client assertion (client-auth: github-oidc) could not be had.
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof GitHubOidcError) return { kind: 'github-oidc-unavailable', message: `no GitHub OIDC token to authenticate the revocation: ${outsideText(message)}` };
  return { kind: 'unexpected-answer', message: `the revocation failed: ${outsideText(message)}` };
}

function readOAuthError(body: string): string | undefined {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof json !== 'object' || json === null) return undefined;
  const { error, error_description: description } = json as Record<string, unknown>;
  if (typeof error !== 'string' || error === '') return undefined;
  const text = typeof description === 'string' && description !== '' ? `${outsideText(error, 80)}: "${outsideText(description)}"` : outsideText(error, 80);
  return text;
}
