// The refresh: one request, retried only where retry.ts says it is safe, all
// within timeout-seconds. Pure apart from the injected transport, clock, sleep
// and randomness, so tests drive it with fakes and never wait.
import { realmUrl } from './endpoint.js';
import { refreshGrantRequest } from './grant.js';
import type { ActionInputs } from './inputs.js';
import { readClaims } from './jwt-claims.js';
import { RefreshError, classifyAnswer, classifyTransportError } from './refresh-error.js';
import { backoffMs, mayRetry } from './retry.js';
import type { TokenResult } from './token-result.js';
import { parseTokenResponse } from './token-result.js';
import type { SendForm } from './transport.js';
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
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((done) => setTimeout(done, ms)));
  const random = deps.random ?? Math.random;
  const deadline = now() + inputs.timeoutMs;
  for (let attempt = 1; ; attempt++) {
    let error: RefreshError;
    try {
      return await attemptRefresh(inputs, deps.send, deadline - now(), new Date(now()));
    } catch (caught) {
      if (!(caught instanceof RefreshError)) throw caught;
      error = caught;
    }
    const delayMs = Math.max(backoffMs(attempt, random), error.retryAfterMs ?? 0);
    const lastAttempt = attempt > inputs.retries || !mayRetry(error, inputs);
    if (lastAttempt || now() + delayMs + MIN_ATTEMPT_MS > deadline) {
      throw attempt === 1 ? error : withAttempts(error, attempt);
    }
    deps.onRetry?.({ attempt, delayMs, error });
    await sleep(delayMs);
  }
}

async function attemptRefresh(inputs: ActionInputs, send: SendForm, timeoutMs: number, requestedAt: Date): Promise<TokenResult> {
  const request = refreshGrantRequest(inputs);
  let answer;
  try {
    answer = await send(request, timeoutMs);
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

function withAttempts(error: RefreshError, attempts: number): RefreshError {
  return new RefreshError(error.kind, `${error.message} (gave up after ${attempts} attempts)`, error.status, error.retry);
}
