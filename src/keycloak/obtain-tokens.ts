// Refresh mode end to end: the refresh, and, when the stored refresh token is
// dead (or was never given) and a fallback is configured, a new login. Only a
// dead token leads to a login: a wrong client secret or a network failure
// would fail the login too, and would hide the real problem. With client-auth:
// github-oidc and no refresh token, the client's service account is the source.
import type { ActionInputs } from '../inputs.js';
import { readClaims } from '../jwt-claims.js';
import type { KeycloakDeps } from './keycloak-request.js';
import { requestTokens } from './keycloak-request.js';
import { clientCredentialsGrant } from './grants/client-credentials.js';
import { passwordGrant } from './grants/password.js';
import { refreshTokenGrant } from './grants/refresh-token.js';
import type { TokenGrant } from './grants/token-grant.js';
import { KeycloakError, isDeadToken } from './keycloak-error.js';
import type { TokenResult } from './token-result.js';

export interface ObtainDeps extends KeycloakDeps {
  /** Told why the stored refresh token was passed over, before the login. */
  onFallback?: (reason: string) => void;
}

export async function obtainTokens(inputs: ActionInputs, deps: ObtainDeps): Promise<TokenResult> {
  if (inputs.refreshToken === '' && inputs.fallback === 'none') {
    return requestTokens(clientCredentialsGrant(inputs.scope, false), inputs, deps);
  }
  const refresh = () => requestTokens(refreshTokenGrant(inputs.refreshToken, inputs.scope), inputs, deps);
  if (inputs.fallback === 'none') return refresh();
  // No stored token yet: a deliberate direct login, nothing to warn about.
  if (inputs.refreshToken === '') return requestTokens(fallbackGrant(inputs), inputs, deps);
  try {
    return await refresh();
  } catch (error) {
    if (!(error instanceof KeycloakError) || !isDeadToken(error)) throw error;
    deps.onFallback?.(`The stored refresh token is dead: ${error.message}`);
    return requestTokens(fallbackGrant(inputs), inputs, deps);
  }
}

function fallbackGrant(inputs: ActionInputs): TokenGrant {
  // Ask for what the dead token had (e.g. openid offline_access), unless the scope input says otherwise.
  const scope = inputs.scope ?? readClaims(inputs.refreshToken)?.scope;
  return inputs.fallback === 'password'
    ? passwordGrant(inputs.username ?? '', inputs.password ?? '', scope)
    : clientCredentialsGrant(scope, true);
}
