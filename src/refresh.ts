// Requests to Keycloak with the retry rules of retry.ts, all within
// timeout-seconds, and the refresh itself. Pure apart from the injected
// transport, clock, sleep and randomness, so tests drive it with fakes and never wait.
import { realmUrl } from './endpoint.js';
import type { FormRequest } from './grant.js';
import { refreshGrantRequest } from './grant.js';
import type { ActionInputs } from './inputs.js';
import { readClaims } from './jwt-claims.js';
import { RefreshError, classifyAnswer, classifyTransportError } from './refresh-error.js';
import type { RetryPolicy } from './retry.js';
import { backoffMs, mayRetry } from './retry.js';
import type { TokenResult } from './token-result.js';
import { parseTokenResponse } from './token-result.js';
import type { HttpAnswer, SendForm } from './transport.js';
import { TransportError } from './transport.js';

export interface RetryNotice {
  attempt: number;
  delayMs: number;
  error: RefreshError;
}

export interface RefreshDeps {
  send: SendForm;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  onRetry?: (notice: RetryNotice) => void;
}

/** An attempt needs at least this much of the budget to be worth starting. */
const MIN_ATTEMPT_MS = 250;

export async function refreshTokens(inputs: ActionInputs, deps: RefreshDeps): Promise<TokenResult> {
  return withRetries(inputs, deps, async (timeoutMs, requestedAt) => {
    const answer = await sendClassified(refreshGrantRequest(inputs), inputs, deps.send, timeoutMs);
    return parseTokenResponse(answer.body, inputs.refreshToken, requestedAt);
  });
}

/**
 * Runs `attempt` until it succeeds, fails in a way the policy does not retry,
 * or the time budget is spent.
 */
export async function withRetries<T>(
  policy: RetryPolicy & { timeoutMs: number },
  deps: RefreshDeps,
  attempt: (timeoutMs: number, requestedAt: Date) => Promise<T>,
): Promise<T> {
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((done) => setTimeout(done, ms)));
  const random = deps.random ?? Math.random;
  const deadline = now() + policy.timeoutMs;
  for (let count = 1; ; count++) {
    let error: RefreshError;
    try {
      return await attempt(deadline - now(), new Date(now()));
    } catch (caught) {
      if (!(caught instanceof RefreshError)) throw caught;
      error = caught;
    }
    const delayMs = Math.max(backoffMs(count, random), error.retryAfterMs ?? 0);
    const lastAttempt = count > policy.retries || !mayRetry(error, policy);
    if (lastAttempt || now() + delayMs + MIN_ATTEMPT_MS > deadline) {
      throw count === 1 ? error : withAttempts(error, count);
    }
    deps.onRetry?.({ attempt: count, delayMs, error });
    await sleep(delayMs);
  }
}

/**
 * Sends one request; a 2xx answer comes back, anything else is thrown as a
 * classified RefreshError whose message names what was `attempted`.
 */
export async function sendClassified(
  request: FormRequest,
  inputs: ActionInputs,
  send: SendForm,
  timeoutMs: number,
  attempted = 'the refresh',
): Promise<HttpAnswer> {
  let answer: HttpAnswer;
  try {
    answer = await send(request, timeoutMs);
  } catch (error) {
    if (error instanceof TransportError) throw classifyTransportError(error, inputs.timeoutMs);
    throw error;
  }
  if (answer.status >= 200 && answer.status < 300) return answer;
  throw classifyAnswer(answer, {
    attempted,
    tokenUrl: request.url,
    realm: inputs.realm,
    clientId: inputs.clientId,
    tokenIssuer: readClaims(inputs.refreshToken)?.iss,
    realmUrl: realmUrl(inputs.keycloakUrl, inputs.realm),
  });
}

function withAttempts(error: RefreshError, attempts: number): RefreshError {
  return new RefreshError(error.kind, `${error.message} (gave up after ${attempts} attempts)`, error.status, error.retry);
}
