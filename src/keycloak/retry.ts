// When a failed refresh may be tried again. With rotating refresh tokens a
// request that reached Keycloak has used the token up, so only failures that
// cannot have been processed are retried unless the user says rotation is off.
import type { RefreshError } from './refresh-error.js';

export interface RetryPolicy {
  /** Further attempts after the first. */
  retries: number;
  /** Also retry when the request may have been processed (safe only without rotation). */
  retryAfterSend: boolean;
}

const BASE_DELAY_MS = 500;
const MAX_DELAY_MS = 8_000;

export function mayRetry(error: RefreshError, policy: RetryPolicy): boolean {
  return error.retry === 'not-processed' || (error.retry === 'maybe-processed' && policy.retryAfterSend);
}

/** Exponential backoff with "equal jitter": between half and all of 0.5 s, 1 s, 2 s, ... capped at 8 s. */
export function backoffMs(retry: number, random: () => number): number {
  const ceiling = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** (retry - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
