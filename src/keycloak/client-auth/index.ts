// Picks the way the client authenticates from the inputs: once per run.
import type { ClientInputs } from './client-auth-inputs.js';
import type { ClientAuthentication } from './client-authentication.js';
import { clientSecret } from './client-secret.js';
import type { FetchIdToken } from './github-oidc.js';
import { githubOidcAssertion } from './github-oidc.js';
import { publicClient } from './public-client.js';

export type { ClientAuthentication, CredentialFacts } from './client-authentication.js';
export type { FetchIdToken } from './github-oidc.js';

export function clientAuthentication(inputs: ClientInputs, fetchIdToken: FetchIdToken | undefined): ClientAuthentication {
  if (inputs.clientAuth === 'github-oidc') {
    if (fetchIdToken === undefined || inputs.oidcAudience === undefined) {
      throw new Error('client-auth: github-oidc needs a way to fetch the OIDC token and an audience');
    }
    return githubOidcAssertion(inputs.clientId, inputs.oidcAudience, fetchIdToken);
  }
  if (inputs.clientSecret === undefined) return publicClient(inputs.clientId);
  return clientSecret(inputs.clientId, inputs.clientSecret, inputs.clientAuth);
}
