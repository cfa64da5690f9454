// exchange-audience: the access token exchanged (RFC 8693, Keycloak's standard token
// exchange) for one that only the named clients accept, so that a consumer of
// it cannot replay it at every other service the full token opens.
import type { AudienceInputs } from './audience-inputs.js';
import { tokenExchangeGrant } from './grants/token-exchange.js';
import type { KeycloakConnection, KeycloakDeps } from './keycloak-request.js';
import { requestTokens } from './keycloak-request.js';
import type { TokenResult } from './token-result.js';

export function narrowToAudience(accessToken: string, audience: AudienceInputs, connection: KeycloakConnection, deps: KeycloakDeps): Promise<TokenResult> {
  return requestTokens(tokenExchangeGrant(accessToken, audience.audiences, audience.scope), connection, deps);
}

/** With exchange-only the narrowed token replaces the full access token everywhere it is handed out. */
export function handedOut(result: TokenResult, narrowed: TokenResult | undefined, audience: AudienceInputs | undefined): TokenResult {
  if (narrowed === undefined || !audience?.only) return result;
  return { ...result, accessToken: narrowed.accessToken, expiresIn: narrowed.expiresIn, expiresAt: narrowed.expiresAt, scope: narrowed.scope ?? result.scope };
}
