// Realms for the S3 tests, set up as the README tells users to: an Audience
// mapper so that access tokens carry the client ID RGW knows, and the RS256
// signing key first in the JWKS (RGW verifies with the first key only). The
// trap realm keeps Keycloak's stock key order, which RGW cannot use.
import type { Login } from './keycloak-api.js';

export const S3_CLIENT = 'ceph-s3';
/** A client RGW does not know: its tokens carry aud other-app. */
export const OTHER_CLIENT = 'other-app';
/** Tokens for ceph-s3's audience that expire within seconds, for the expiry test. */
export const SHORT_LIVED_CLIENT = 'ceph-s3-short';
export const SHORT_LIFESPAN_SECONDS = 3;

const audienceMapper = (audience: string) => ({
  name: `audience ${audience}`,
  protocol: 'openid-connect',
  protocolMapper: 'oidc-audience-mapper',
  config: { 'included.client.audience': audience, 'access.token.claim': 'true', 'id.token.claim': 'false', 'introspection.token.claim': 'true' },
});

const publicClient = (clientId: string, audience: string, attributes: Record<string, string> = {}) => ({
  clientId,
  attributes,
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

/**
 * With `signingKeyFirst: false`, the RSA-OAEP encryption key comes first in the
 * JWKS, as in a stock Keycloak 26 realm where both keys have priority 100 (seen
 * on imported realms; in a realm created through the admin API the order is
 * not certain, so the trap gets the higher priority here).
 */
export function s3Realm(realm: string, { signingKeyFirst = true } = {}): Record<string, unknown> {
  const [signing, encryption] = signingKeyFirst ? ['200', '100'] : ['100', '200'];
  return {
    realm,
    enabled: true,
    accessTokenLifespan: 300,
    clients: [
      publicClient(S3_CLIENT, S3_CLIENT),
      publicClient(OTHER_CLIENT, OTHER_CLIENT),
      publicClient(SHORT_LIVED_CLIENT, S3_CLIENT, { 'access.token.lifespan': String(SHORT_LIFESPAN_SECONDS) }),
    ],
    users: [user('alice'), user('bob')],
    components: {
      'org.keycloak.keys.KeyProvider': [
        keyProvider('rsa-generated', 'rsa-generated', { priority: [signing] }),
        keyProvider('rsa-enc-generated', 'rsa-enc-generated', { priority: [encryption], algorithm: ['RSA-OAEP'] }),
        keyProvider('hmac-generated-hs512', 'hmac-generated', { priority: ['100'], algorithm: ['HS512'] }),
        keyProvider('aes-generated', 'aes-generated', { priority: ['100'] }),
      ],
    },
  };
}

export function s3Login(realm: string, username = 'alice', clientId = S3_CLIENT): Login {
  return { realm, clientId, username, password: `${username}-password-1`, scope: 'openid offline_access' };
}
