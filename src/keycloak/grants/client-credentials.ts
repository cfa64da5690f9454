// The client_credentials grant: a token for the client's service account,
// as fallback: client-credentials or, with client-auth: github-oidc and no
// refresh token, as the way to get a token with no stored secret at all.
import type { TokenGrant } from './token-grant.js';
import { grantForm } from './token-grant.js';

export function clientCredentialsGrant(scope: string | undefined, asFallback: boolean): TokenGrant {
  return {
    type: 'client_credentials',
    attempted: asFallback ? 'the client-credentials login (fallback: client-credentials)' : 'the client-credentials grant',
    presented: '',
    resendable: true,
    form: () => grantForm({ grant_type: 'client_credentials' }, scope),
  };
}
