// Requests to Keycloak: the client's credentials added to every attempt, the
// retry rules of retry.ts within timeout-seconds, and every refusal explained.
// Pure apart from the injected transport, OIDC token fetch, clock, sleep and
// randomness, so tests drive it with fakes and never wait.
import type { ActionInputs } from '../inputs.js';
import { readClaims } from '../jwt-claims.js';
import type { RetryDeps } from './retry.js';
import { withRetries } from './retry.js';
import type { HttpAnswer, SendForm } from '../transport.js';
import { TransportError, isSuccess } from '../transport.js';
import type { ClientAuthentication, CredentialFacts, FetchIdToken } from './client-auth/index.js';
import { clientAuthentication } from './client-auth/index.js';
import { realmUrl, tokenEndpoint } from './endpoint.js';
import type { TokenGrant } from './grants/token-grant.js';
import { KeycloakError, classifyAnswer, classifyTransportError } from './keycloak-error.js';
import type { TokenResult } from './token-result.js';
import { parseTokenResponse } from './token-result.js';

export interface KeycloakDeps extends RetryDeps {
  send: SendForm;
  /** The runner's OIDC token, for client-auth: github-oidc. */
  fetchIdToken?: FetchIdToken;
}

/** One grant at the token endpoint, retried where that cannot burn a token. */
export async function requestTokens(grant: TokenGrant, inputs: ActionInputs, deps: KeycloakDeps): Promise<TokenResult> {
  const auth = clientAuthentication(inputs, deps.fetchIdToken);
  const policy = grant.resendable ? { ...inputs, retryAfterSend: true } : inputs;
  const url = tokenEndpoint(inputs.keycloakUrl, inputs.realm);
  return withRetries(policy, deps, async (timeoutMs, requestedAt) => {
    const { answer, facts } = await sendToKeycloak({ url, form: grant.form(), attempted: grant.attempted }, auth, inputs, deps.send, timeoutMs);
    const result = parseTokenResponse(answer.body, grant.presented, requestedAt, grant.type);
    if (!auth.namesClient) expectIssuedTo(result, inputs.clientId, facts);
    return result;
  });
}

export interface KeycloakRequest {
  url: string;
  /** The form without the client's credentials. */
  form: URLSearchParams;
  /** What Keycloak refused, for an error message. */
  attempted: string;
}

/**
 * Sends one request with the client's credentials; a 2xx answer comes back,
 * anything else is thrown as a classified KeycloakError.
 */
export async function sendToKeycloak(
  request: KeycloakRequest,
  auth: ClientAuthentication,
  inputs: ActionInputs,
  send: SendForm,
  timeoutMs: number,
): Promise<{ answer: HttpAnswer; facts: CredentialFacts }> {
  const headers: Record<string, string> = { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' };
  const facts = await auth.authenticate({ form: request.form, headers });
  let answer: HttpAnswer;
  try {
    answer = await send({ url: request.url, headers, body: request.form.toString() }, timeoutMs);
  } catch (error) {
    if (error instanceof TransportError) throw classifyTransportError(error, inputs.timeoutMs);
    throw error;
  }
  if (isSuccess(answer)) return { answer, facts };
  throw classifyAnswer(answer, {
    attempted: request.attempted,
    tokenUrl: request.url,
    realm: inputs.realm,
    clientId: inputs.clientId,
    clientAuth: inputs.clientAuth,
    assertion: facts.assertion,
    tokenIssuer: readClaims(inputs.refreshToken)?.iss,
    realmUrl: realmUrl(inputs.keycloakUrl, inputs.realm),
  });
}

// Keycloak picked the client from the assertion's sub: make sure it is the one the inputs name.
function expectIssuedTo(result: TokenResult, clientId: string, facts: CredentialFacts): void {
  const azp = readClaims(result.accessToken)?.azp;
  if (azp === undefined || azp === clientId) return;
  const sub = facts.assertion?.sub === undefined ? '' : ` (sub '${facts.assertion.sub}')`;
  throw new KeycloakError(
    'client-mismatch',
    `Keycloak authenticated this job's GitHub OIDC token${sub} as client '${azp}', not '${clientId}': the tokens were discarded. Set client-id to '${azp}', or bind client '${clientId}' to this sub (jwt.credential.sub).`,
    200,
  );
}
