// Realms for the S3 tests, set up as the README tells users to: an Audience
// mapper so that access tokens carry the client ID RGW knows, and the RS256
// signing key first in the JWKS (RGW verifies with the first key only). The
// trap realm keeps Keycloak's stock key order, which RGW cannot use.
import type { Login } from './keycloak-api.js';

export const S3_CLIENT = 'ceph-s3';
/** A client RGW does not know: its tokens carry aud other-app. */
export const OTHER_CLIENT = 'other-app';

const audienceMapper = (audience: string) => ({
  name: `audience ${audience}`,
  protocol: 'openid-connect',
  protocolMapper: 'oidc-audience-mapper',
  config: { 'included.client.audience': audience, 'access.token.claim': 'true', 'id.token.claim': 'false', 'introspection.token.claim': 'true' },
});

const publicClient = (clientId: string, audience: string) => ({
  clientId,
  enabled: true,
  publicClient: true,
  directAccessGrantsEnabled: true,
  standardFlowEnabled: false,
  protocolMappers: [audienceMapper(audience)],
});

const user = (username: string) => ({
  username,
  enabled: true,
  email: `${username}@example.test`,
  emailVerified: true,
  firstName: username,
  lastName: 'Test',
  credentials: [{ type: 'password', value: `${username}-password-1`, temporary: false }],
  realmRoles: ['offline_access'],
});

const keyProvider = (name: string, providerId: string, config: Record<string, string[]>) => ({ name, providerId, subComponents: {}, config });

/** With `signingKeyFirst: false`, Keycloak's own key order: its RSA-OAEP key comes first in the JWKS. */
export function s3Realm(realm: string, { signingKeyFirst = true } = {}): Record<string, unknown> {
  return {
    realm,
    enabled: true,
    accessTokenLifespan: 300,
    clients: [publicClient(S3_CLIENT, S3_CLIENT), publicClient(OTHER_CLIENT, OTHER_CLIENT)],
    users: [user('alice'), user('bob')],
    ...(signingKeyFirst && {
      components: {
        'org.keycloak.keys.KeyProvider': [
          keyProvider('rsa-generated', 'rsa-generated', { priority: ['200'] }),
          keyProvider('rsa-enc-generated', 'rsa-enc-generated', { priority: ['100'], algorithm: ['RSA-OAEP'] }),
          keyProvider('hmac-generated-hs512', 'hmac-generated', { priority: ['100'], algorithm: ['HS512'] }),
          keyProvider('aes-generated', 'aes-generated', { priority: ['100'] }),
        ],
      },
    }),
  };
}

export function s3Login(realm: string, username = 'alice', clientId = S3_CLIENT): Login {
  return { realm, clientId, username, password: `${username}-password-1`, scope: 'openid offline_access' };
}
