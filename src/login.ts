// Refresh mode end to end: the refresh, and, when the stored refresh token is
// dead (or was never given) and a fallback is configured, a new login. Only a
// dead token leads to a login: a wrong client secret or a network failure
// would fail the login too, and would hide the real problem.
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
  const [grant, request]: [Grant, ReturnType<typeof passwordGrantRequest>] =
    inputs.fallback === 'password' ? ['password', passwordGrantRequest(scoped)] : ['client_credentials', clientCredentialsRequest(scoped)];
  // A login uses nothing up, so a lost answer is safe to retry.
  return withRetries({ ...inputs, retryAfterSend: true }, deps, async (timeoutMs, requestedAt) => {
    const answer = await sendClassified(request, inputs, deps.send, timeoutMs).catch((error: unknown) => {
      throw error instanceof RefreshError ? asLoginError(error, grant) : error;
    });
    return parseTokenResponse(answer.body, '', requestedAt, grant);
  });
}

// Keycloak's answers to a login read differently from a refresh's.
const LOGIN_HINTS: [RegExp, string][] = [
  [/invalid user credentials/i, 'the username or password is wrong. Check the username and password inputs.'],
  [/account disabled|user disabled/i, 'the user is disabled in Keycloak.'],
  [/not fully set up/i, 'the user has required actions pending (e.g. update password, verify e-mail): finish them in a browser once.'],
  [/not allowed for direct access grants/i, "the client does not allow the password grant: enable 'Direct access grants' on it, or use another fallback."],
  [/not enabled to retrieve service account/i, "the client has no service account: enable 'Service accounts roles' on it, or use another fallback."],
];

function asLoginError(error: RefreshError, grant: Grant): RefreshError {
  const how = grant === 'password' ? 'the password login (fallback: password)' : 'the client-credentials login (fallback: client-credentials)';
  const quoted = /^Keycloak refused the refresh (\([^)]*\))/.exec(error.message)?.[1];
  const hint = LOGIN_HINTS.find(([pattern]) => pattern.test(error.message))?.[1];
  const message =
    quoted !== undefined && hint !== undefined
      ? `Keycloak refused ${how} ${quoted}: ${hint}`
      : error.message.replace(/^Keycloak refused the refresh/, `Keycloak refused ${how}`);
  return new RefreshError(error.kind, message, error.status, error.retry, error.retryAfterMs);
}
