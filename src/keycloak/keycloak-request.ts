// Requests to Keycloak: the client's credentials added to every attempt, the
// retry rules of retry.ts within timeout-seconds, and every refusal explained.
// Pure apart from the injected transport, client authentication, clock, sleep
// and randomness, so tests drive it with fakes and never wait.
import { readClaims } from '../jwt-claims.js';
import type { HttpAnswer, SendForm } from '../transport.js';
import { TransportError, isSuccess } from '../transport.js';
import type { ClientAuthentication, CredentialFacts } from './client-auth/index.js';
import type { Rotation } from './connection-inputs.js';
import { realmUrl, tokenEndpoint } from './endpoint.js';
import type { TokenGrant } from './grants/token-grant.js';
import { KeycloakError, classifyAnswer, classifyTransportError } from './keycloak-error.js';
import type { RetryDeps, RetryPolicy } from './retry.js';
import { withRetries } from './retry.js';
import type { TokenResult } from './token-result.js';
import { parseTokenResponse } from './token-result.js';

/** Where and as which client the action talks to Keycloak, and how patiently: one per run. */
export interface KeycloakConnection extends RetryPolicy {
  /** Base URL without trailing slash, including a legacy `/auth` path when given. */
  keycloakUrl: string;
  realm: string;
  clientId: string;
  auth: ClientAuthentication;
  /** timeout-seconds: what one grant or introspection may take, retries included. */
  timeoutMs: number;
  /** Whether the realm revokes used refresh tokens: it explains some refusals. */
  rotation: Rotation;
}

export interface KeycloakDeps extends RetryDeps {
  send: SendForm;
}

/** One grant at the token endpoint, retried where that cannot burn a token. */
export async function requestTokens(grant: TokenGrant, connection: KeycloakConnection, deps: KeycloakDeps): Promise<TokenResult> {
  const policy = grant.resendable ? { ...connection, retryAfterSend: true } : connection;
  const url = tokenEndpoint(connection.keycloakUrl, connection.realm);
  return withRetries(policy, deps, async (timeoutMs, requestedAt) => {
    const request = { url, form: grant.form(), attempted: grant.attempted, presented: grant.presented };
    const { answer, facts } = await sendToKeycloak(request, connection, deps.send, timeoutMs);
    const result = parseTokenResponse(answer.body, grant.presented, requestedAt, grant.type);
    if (!connection.auth.namesClient) expectIssuedTo(result, connection.clientId, facts);
    return result;
  });
}

export interface KeycloakRequest {
  url: string;
  /** The form without the client's credentials. */
  form: URLSearchParams;
  /** What Keycloak refused, for an error message. */
  attempted: string;
  /** The refresh token the request carries ('' for a login): its issuer explains a refusal. */
  presented: string;
}

/**
 * Sends one request with the client's credentials; a 2xx answer comes back,
 * anything else is thrown as a classified KeycloakError.
 */
export async function sendToKeycloak(
  request: KeycloakRequest,
  connection: KeycloakConnection,
  send: SendForm,
  timeoutMs: number,
): Promise<{ answer: HttpAnswer; facts: CredentialFacts }> {
  const headers: Record<string, string> = { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' };
  const facts = await connection.auth.authenticate({ form: request.form, headers });
  let answer: HttpAnswer;
  try {
    answer = await send({ url: request.url, headers, body: request.form.toString() }, timeoutMs);
  } catch (error) {
    if (error instanceof TransportError) throw classifyTransportError(error, connection.timeoutMs);
    throw error;
  }
  if (isSuccess(answer)) return { answer, facts };
  throw classifyAnswer(answer, {
    attempted: request.attempted,
    tokenUrl: request.url,
    realm: connection.realm,
    clientId: connection.clientId,
    assertion: facts.assertion,
    tokenIssuer: readClaims(request.presented)?.iss,
    realmUrl: realmUrl(connection.keycloakUrl, connection.realm),
    rotation: connection.rotation,
  });
}

// Keycloak picked the client from the assertion's sub: make sure it is the one the inputs name.
function expectIssuedTo(result: TokenResult, clientId: string, facts: CredentialFacts): void {
  const azp = readClaims(result.accessToken)?.azp;
  if (azp === clientId) return;
  const sub = facts.assertion?.sub === undefined ? '' : ` (sub '${facts.assertion.sub}')`;
  if (azp === undefined) {
    throw new KeycloakError(
      'client-mismatch',
      `Keycloak's access token for this job's GitHub OIDC token${sub} names no client (not a JWT, or no azp claim), so the action cannot tell whether it was issued to '${clientId}': the tokens were discarded. Turn off lightweight access tokens for the client.`,
      200,
    );
  }
  throw new KeycloakError(
    'client-mismatch',
    `Keycloak authenticated this job's GitHub OIDC token${sub} as client '${azp}', not '${clientId}': the tokens were discarded. Set client-id to '${azp}', or bind client '${clientId}' to this sub (jwt.credential.sub).`,
    200,
  );
}
