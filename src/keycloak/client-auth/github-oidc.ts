// The job's GitHub OIDC token as the client's credential: Keycloak's federated
// client authentication (client authenticator federated-jwt, bound to an OIDC
// identity provider whose issuer is GitHub's), sent as an RFC 7523 client assertion.
import { readClaims } from '../../jwt-claims.js';
import type { ClientAuthentication } from './client-authentication.js';

export const JWT_BEARER_ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** Asks the runner for a new OIDC token with this audience. */
export type FetchIdToken = (audience: string) => Promise<string>;

export function githubOidcAssertion(clientId: string, audience: string, fetchIdToken: FetchIdToken): ClientAuthentication {
  return {
    description: `client '${clientId}' authenticated by the job's GitHub OIDC token (audience ${audience})`,
    // No client_id: Keycloak picks the client bound to the token's sub, and
    // 26.4 refuses a client_id that differs from the sub.
    namesClient: false,
    // Each assertion is masked when the runner hands it out.
    derivedSecrets: [],
    async authenticate({ form }) {
      // Keycloak takes an assertion once (jti) and only within 300 s of its iat.
      const assertion = await fetchIdToken(audience);
      form.set('client_assertion_type', JWT_BEARER_ASSERTION);
      form.set('client_assertion', assertion);
      return { assertion: readClaims(assertion) ?? {} };
    },
  };
}
