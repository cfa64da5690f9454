// When a failed request to Keycloak may be tried again, and the loop that
// tries. With rotating refresh tokens a request that reached Keycloak has used
// the token up, so only failures that cannot have been processed are retried
// unless the user says rotation is off.
import { KeycloakError } from './keycloak-error.js';

export interface RetryPolicy {
  /** Further attempts after the first. */
  retries: number;
  /** Also retry when the request may have been processed (safe only without rotation). */
  retryAfterSend: boolean;
}

export interface RetryNotice {
  attempt: number;
  delayMs: number;
  error: KeycloakError;
}

/** The clock, sleep and randomness (fakes in tests, so they never wait), and who hears of a retry. */
export interface RetryDeps {
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  onRetry?: (notice: RetryNotice) => void;
}

const BASE_DELAY_MS = 500;
const MAX_DELAY_MS = 8_000;

export function mayRetry(error: KeycloakError, policy: RetryPolicy): boolean {
  return error.retry === 'not-processed' || (error.retry === 'maybe-processed' && policy.retryAfterSend);
}

/** Exponential backoff with "equal jitter": between half and all of 0.5 s, 1 s, 2 s, ... capped at 8 s. */
export function backoffMs(retry: number, random: () => number): number {
  const ceiling = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** (retry - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** An attempt needs at least this much of the budget to be worth starting. */
const MIN_ATTEMPT_MS = 250;

/**
 * Runs `attempt` until it succeeds, fails in a way the policy does not retry,
 * or the time budget is spent.
 */
export async function withRetries<T>(
  policy: RetryPolicy & { timeoutMs: number },
  deps: RetryDeps,
  attempt: (timeoutMs: number, requestedAt: Date) => Promise<T>,
): Promise<T> {
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((done) => setTimeout(done, ms)));
  const random = deps.random ?? Math.random;
  const deadline = now() + policy.timeoutMs;
  for (let count = 1; ; count++) {
    let error: KeycloakError;
    try {
      return await attempt(deadline - now(), new Date(now()));
    } catch (caught) {
      if (!(caught instanceof KeycloakError)) throw caught;
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

function withAttempts(error: KeycloakError, attempts: number): KeycloakError {
  return new KeycloakError(error.kind, `${error.message} (gave up after ${attempts} attempts)`, error.status, error.retry);
}
