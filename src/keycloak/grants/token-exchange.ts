// RFC 8693 token exchange, as Keycloak's standard token exchange (26.2+) does it:
// the client's own access token for one narrowed to the given audiences and,
// optionally, fewer scopes. It uses nothing up, so a lost answer may be resent.
import type { TokenGrant } from './token-grant.js';
import { TOKEN_EXCHANGE, grantForm } from './token-grant.js';

const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

export function tokenExchangeGrant(accessToken: string, audiences: readonly string[], scope: string | undefined): TokenGrant {
  return {
    type: TOKEN_EXCHANGE,
    attempted: `the token exchange for audience ${audiences.join(', ')}`,
    presented: '',
    resendable: true,
    form: () => {
      const form = grantForm({ grant_type: TOKEN_EXCHANGE, subject_token: accessToken, subject_token_type: ACCESS_TOKEN_TYPE }, scope);
      for (const audience of audiences) form.append('audience', audience);
      return form;
    },
  };
}
