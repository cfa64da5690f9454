// Refresh mode end to end: the refresh, and, when the stored refresh token is
// dead (or was never given) and a fallback is configured, a new login. Only a
// dead token leads to a login: a wrong client secret or a network failure
// would fail the login too, and would hide the real problem.
import type { FormRequest } from './grant.js';
import { clientCredentialsRequest, passwordGrantRequest } from './grant.js';
import type { ActionInputs } from './inputs.js';
import { readClaims } from './jwt-claims.js';
import type { RefreshDeps } from './refresh.js';
import { refreshTokens, sendClassified, withRetries } from './refresh.js';
import { RefreshError, isDeadToken } from './refresh-error.js';
import type { Grant, TokenResult } from './token-result.js';
import { parseTokenResponse } from './token-result.js';

export interface LoginDeps extends RefreshDeps {
  /** Told why the refresh token was passed over, before the login. */
  onFallback?: (reason: string) => void;
}

export async function obtainTokens(inputs: ActionInputs, deps: LoginDeps): Promise<TokenResult> {
  if (inputs.fallback === 'none') return refreshTokens(inputs, deps);
  if (inputs.refreshToken === '') {
    deps.onFallback?.('No refresh-token was given.');
    return login(inputs, deps);
  }
  try {
    return await refreshTokens(inputs, deps);
  } catch (error) {
    if (!(error instanceof RefreshError) || !isDeadToken(error)) throw error;
    deps.onFallback?.(`The stored refresh token is dead: ${error.message}`);
    return login(inputs, deps);
  }
}

async function login(inputs: ActionInputs, deps: RefreshDeps): Promise<TokenResult> {
  // Ask for what the dead token had (e.g. openid offline_access), unless the scope input says otherwise.
  const scoped = { ...inputs, scope: inputs.scope ?? readClaims(inputs.refreshToken)?.scope };
  const [grant, request, attempted]: [Grant, FormRequest, string] =
    inputs.fallback === 'password'
      ? ['password', passwordGrantRequest(scoped), 'the password login (fallback: password)']
      : ['client_credentials', clientCredentialsRequest(scoped), 'the client-credentials login (fallback: client-credentials)'];
  // A login uses nothing up, so a lost answer is safe to retry.
  return withRetries({ ...inputs, retryAfterSend: true }, deps, async (timeoutMs, requestedAt) => {
    const answer = await sendClassified(request, inputs, deps.send, timeoutMs, attempted);
    return parseTokenResponse(answer.body, '', requestedAt, grant);
  });
}
