// The refresh itself: one request, no retries. Pure apart from the injected
// transport and clock, so tests drive it with a fake endpoint.
import { realmUrl } from './endpoint.js';
import { refreshGrantRequest } from './grant.js';
import type { ActionInputs } from './inputs.js';
import { readClaims } from './jwt-claims.js';
import { classifyAnswer, classifyTransportError } from './refresh-error.js';
import type { TokenResult } from './token-result.js';
import { parseTokenResponse } from './token-result.js';
import type { HttpAnswer, SendForm } from './transport.js';
import { TransportError } from './transport.js';

export async function refreshTokens(
  inputs: ActionInputs,
  send: SendForm,
  now: () => Date = () => new Date(),
): Promise<TokenResult> {
  const request = refreshGrantRequest(inputs);
  const requestedAt = now();
  let answer: HttpAnswer;
  try {
    answer = await send(request, inputs.timeoutMs);
  } catch (error) {
    if (error instanceof TransportError) throw classifyTransportError(error);
    throw error;
  }
  if (answer.status >= 200 && answer.status < 300) {
    return parseTokenResponse(answer.body, inputs.refreshToken, requestedAt);
  }
  throw classifyAnswer(answer, {
    tokenUrl: request.url,
    realm: inputs.realm,
    clientId: inputs.clientId,
    tokenIssuer: readClaims(inputs.refreshToken)?.iss,
    realmUrl: realmUrl(inputs.keycloakUrl, inputs.realm),
  });
}
