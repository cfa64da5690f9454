// Refresh mode end to end: the refresh, and, when the stored refresh token is
// dead (or was never given) and a fallback is configured, a new login. Only a
// dead token leads to a login: a wrong client secret or a network failure
// would fail the login too, and would hide the real problem. With client-auth:
// github-oidc and no refresh token, the client's service account is the source.
import { readClaims } from '../jwt-claims.js';
import { clientCredentialsGrant } from './grants/client-credentials.js';
import { passwordGrant } from './grants/password.js';
import { refreshTokenGrant } from './grants/refresh-token.js';
import type { TokenGrant } from './grants/token-grant.js';
import { KeycloakError, isDeadToken } from './keycloak-error.js';
import type { KeycloakConnection, KeycloakDeps } from './keycloak-request.js';
import { requestTokens } from './keycloak-request.js';
import type { TokenInputs } from './token-inputs.js';
import type { TokenResult } from './token-result.js';

export interface ObtainDeps extends KeycloakDeps {
  /** Told why the stored refresh token was passed over, before the login. */
  onFallback?: (reason: string) => void;
}

export async function obtainTokens(tokens: TokenInputs, connection: KeycloakConnection, deps: ObtainDeps): Promise<TokenResult> {
  const request = (grant: TokenGrant) => requestTokens(grant, connection, deps);
  if (tokens.refreshToken === '' && tokens.fallback === 'none') return request(clientCredentialsGrant(tokens.scope, false));
  const refresh = () => request(refreshTokenGrant(tokens.refreshToken, tokens.scope));
  if (tokens.fallback === 'none') return refresh();
  // No stored token yet: a deliberate direct login, nothing to warn about.
  if (tokens.refreshToken === '') return request(fallbackGrant(tokens));
  try {
    return await refresh();
  } catch (error) {
    if (!(error instanceof KeycloakError) || !isDeadToken(error)) throw error;
    deps.onFallback?.(`The stored refresh token is dead: ${error.message}`);
    return request(fallbackGrant(tokens));
  }
}

function fallbackGrant(tokens: TokenInputs): TokenGrant {
  // Ask for what the dead token had (e.g. openid offline_access), unless the scope input says otherwise.
  const scope = tokens.scope ?? readClaims(tokens.refreshToken)?.scope;
  return tokens.fallback === 'password'
    ? passwordGrant(tokens.username ?? '', tokens.password ?? '', scope)
    : clientCredentialsGrant(scope, true);
}
