// How the client proves who it is to Keycloak: one module per way, all behind
// this interface. Credentials are added to one request at a time, because a
// federated assertion is single-use and must be fetched again for every attempt.
import type { TokenClaims } from '../../jwt-claims.js';

export interface ClientRequest {
  form: URLSearchParams;
  headers: Record<string, string>;
}

/** What a failed request's message may say about the credentials used: never a credential. */
export interface CredentialFacts {
  /** The claims of the client assertion that was sent (iss, sub, aud). */
  assertion?: TokenClaims;
}

export interface ClientAuthentication {
  /** For the debug line: never a credential. */
  readonly description: string;
  /**
   * False when Keycloak finds the client from the credential instead of a
   * client_id: the issued tokens' azp must then be checked against client-id.
   */
  readonly namesClient: boolean;
  /** Values the requests carry that are derived from a secret (HTTP Basic's credentials): masked like it. */
  readonly derivedSecrets: string[];
  authenticate(request: ClientRequest): Promise<CredentialFacts>;
}
