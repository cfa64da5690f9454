// The realms of the S3 tests, test/integration/realms/ceph-realm.json and
// ceph-trap-realm.json (in our images' database, like every realm file there), set up
// as docs/s3-ceph-rgw.md tells users to: an Audience mapper on each client, so that access
// tokens carry the client ID RGW knows, and the RS256 signing key (rsa-generated,
// priority 200) before the RSA-OAEP encryption key (priority 100) in the JWKS: RGW
// verifies with the first key only. The trap realm has the two priorities swapped, so
// the encryption key comes first as in a stock realm where both have priority 100
// (seen on imported realms; their order is not certain, hence the swap).
import type { Login } from './keycloak-api.js';

/** As in docs/s3-ceph-rgw.md. */
export const S3_REALM = 'ceph';
export const TRAP_REALM = 'ceph-trap';
export const S3_CLIENT = 'ceph-s3';
/** A client RGW does not know: its tokens carry aud other-app. */
export const OTHER_CLIENT = 'other-app';
/** Tokens for ceph-s3's audience that expire within seconds, for the expiry test. */
export const SHORT_LIVED_CLIENT = 'ceph-s3-short';
export const SHORT_LIFESPAN_SECONDS = 3;

export function s3Login(realm: string, username = 'alice', clientId = S3_CLIENT): Login {
  return { realm, clientId, username, password: `${username}-password-1`, scope: 'openid offline_access' };
}
