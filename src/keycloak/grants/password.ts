// The resource owner password grant: fallback: password.
import type { TokenGrant } from './token-grant.js';
import { grantForm } from './token-grant.js';

export function passwordGrant(username: string, password: string, scope: string | undefined): TokenGrant {
  return {
    type: 'password',
    attempted: 'the password login (fallback: password)',
    presented: '',
    resendable: true,
    form: () => grantForm({ grant_type: 'password', username, password }, scope),
  };
}
