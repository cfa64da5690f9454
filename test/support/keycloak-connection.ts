// A KeycloakConnection and token inputs as main.ts builds them, for tests of keycloak/.
import type { ClientInputs } from '../../src/keycloak/client-auth/client-auth-inputs.js';
import type { FetchIdToken } from '../../src/keycloak/client-auth/index.js';
import { clientAuthentication } from '../../src/keycloak/client-auth/index.js';
import type { KeycloakConnection } from '../../src/keycloak/keycloak-request.js';
import type { TokenInputs } from '../../src/keycloak/token-inputs.js';
import { fakeJwt } from './fake-token-endpoint.js';

/** A public client 'ceph-s3' of realm 'test' unless `client` says otherwise. */
export function testConnection(client: Partial<ClientInputs> = {}, fetchIdToken?: FetchIdToken): KeycloakConnection {
  const inputs: ClientInputs = { clientId: 'ceph-s3', clientSecret: undefined, clientAuth: 'post', oidcAudience: undefined, ...client };
  return {
    keycloakUrl: 'https://sso.example.com',
    realm: 'test',
    clientId: inputs.clientId,
    auth: clientAuthentication(inputs, fetchIdToken),
    timeoutMs: 15_000,
    retries: 2,
    retryAfterSend: false,
    rotation: 'off',
  };
}

export function testTokens(overrides: Partial<TokenInputs> = {}): TokenInputs {
  return {
    refreshToken: fakeJwt({ typ: 'Refresh', iss: 'https://sso.example.com/realms/test' }),
    fallback: 'none',
    username: undefined,
    password: undefined,
    scope: undefined,
    ...overrides,
  };
}
