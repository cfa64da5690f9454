// update-secret, from the main step and from keep-fresh's post step: a new
// refresh token stored in the repository's (or environment's) secret.
import type { SecretTarget } from './github/github-secret.js';
import { SecretUpdateError, updateSecret } from './github/github-secret.js';
import { sealForGitHub } from './github/sealed-box.js';
import type { TokenResult } from './keycloak/token-result.js';
import { log } from './runner-log.js';
import type { SendRequest } from './transport.js';
import { sendRequest, withinDeadline } from './transport.js';

/** Stores the result's refresh token when it is new; returns whether it did. */
export async function storeNewRefreshToken(target: SecretTarget, sentRefreshToken: string, result: TokenResult): Promise<boolean> {
  if (result.refreshToken === '' || result.refreshToken === sentRefreshToken) {
    log.info(`The refresh token did not change: secret ${target.name} is left as it is.`);
    return false;
  }
  await storeRefreshToken(target, result.refreshToken);
  return true;
}

export async function storeRefreshToken(target: SecretTarget, refreshToken: string): Promise<void> {
  await updateSecret(target, refreshToken, sendRequest, sealForGitHub);
  logStored(target);
}

export interface RetryPlan {
  /** Waits before the second, third ... attempt. */
  delaysMs: number[];
  sleep: (ms: number) => Promise<unknown>;
  send?: SendRequest;
  /** What the last failure means for the user, after its problem. */
  consequence: string;
  /** All attempts and waits together: each request's deadline is cut to what is left. */
  budgetMs: number;
  now?: () => number;
}

/** An attempt needs at least this much of the budget to be worth starting. */
const MIN_ATTEMPT_MS = 2_000;

/** Up to 3 attempts within 30 s: a PUT of a secret is idempotent, so trying again is safe. */
export const POST_STEP_RETRIES: Pick<RetryPlan, 'delaysMs' | 'budgetMs'> = { delaysMs: [1_000, 3_000], budgetMs: 30_000 };

/**
 * Stores the refresh token, trying again while GitHub does not answer or
 * answers 408, 429 or 5xx. Throws the last SecretUpdateError, with the number
 * of attempts in its problem.
 */
export async function storeRefreshTokenRetrying(target: SecretTarget, refreshToken: string, plan: RetryPlan): Promise<void> {
  const now = plan.now ?? Date.now;
  const deadline = now() + plan.budgetMs;
  const send = plan.send ?? sendRequest;
  const withinBudget: SendRequest = withinDeadline(send, deadline, now);
  for (let attempt = 1; ; attempt++) {
    try {
      await updateSecret(target, refreshToken, withinBudget, sealForGitHub);
      logStored(target);
      return;
    } catch (error) {
      const delay = plan.delaysMs[attempt - 1];
      if (!(error instanceof SecretUpdateError)) throw error;
      if (!error.retryable || delay === undefined || now() + delay + MIN_ATTEMPT_MS > deadline) {
        const problem = attempt === 1 ? error.problem : `${error.problem.replace(/\.$/, '')} (${attempt} attempts).`;
        throw new SecretUpdateError(target, problem, false, plan.consequence);
      }
      log.info(`Storing the refresh token failed (attempt ${attempt}): ${error.problem} Trying again in ${delay / 1000} s.`);
      await plan.sleep(delay);
    }
  }
}

function logStored(target: SecretTarget): void {
  log.info(`Stored the new refresh token in secret ${target.name}${target.environment ? ` (environment ${target.environment})` : ''}.`);
}
